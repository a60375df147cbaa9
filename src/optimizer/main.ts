/** `node --import tsx src/optimizer/main.ts`: the Optimizer alone, configured from the environment. */
import { loadOptimizerConfig } from './config.js';
import { startOptimizer } from './app.js';

const config = loadOptimizerConfig(process.env);
const running = await startOptimizer(config);
console.log(`One-Shot Optimizer listening on ${running.url} (API: ${running.url}/api/v1, ${running.url}/oneshot/api/v1; docs: ${running.url}/docs)`);
if (running.sandboxTokenUid) console.log(`Sandbox token: ${running.sandboxTokenUid}`);
const stop = async () => {
  await running.close();
  process.exit(0);
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
