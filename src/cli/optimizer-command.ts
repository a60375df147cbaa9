/** `oneshot optimizer`: runs the Optimizer alone (the TSC elsewhere, at TSC_URL) until SIGINT/SIGTERM. */
import { loadOptimizerConfig } from '../optimizer/config.js';
import { startOptimizer } from '../optimizer/app.js';
import type { CliCommand } from './commands.js';
import { waitForSignal } from './wait-for-signal.js';

export const optimizerCommand: CliCommand = {
  summary: 'Start the Optimizer (the One-Shot API) alone.',
  usage: 'Usage: oneshot optimizer\n\nConfigured by environment variables (OPTIMIZER_HOST, OPTIMIZER_PORT, TSC_URL, TSC_CLIENT_API_KEY, …): see docs/optimizer.md.',
  async run(): Promise<number> {
    const running = await startOptimizer(loadOptimizerConfig(process.env));
    console.log(`Optimizer listening on ${running.url} (API: ${running.url}/api/v1 and ${running.url}/oneshot/api/v1; docs: ${running.url}/docs)`);
    if (running.sandboxTokenUid) console.log(`Sandbox token: ${running.sandboxTokenUid}`);
    await waitForSignal();
    await running.close();
    return 0;
  },
};
