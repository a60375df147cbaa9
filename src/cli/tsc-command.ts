/** `oneshot tsc`: runs the Trusted Service Center alone until SIGINT/SIGTERM. */
import { loadTscConfig } from '../tsc/config.js';
import { startTsc } from '../tsc/main.js';
import type { CliCommand } from './commands.js';

export const tscCommand: CliCommand = {
  summary: 'Start the Trusted Service Center alone.',
  usage: 'Usage: oneshot tsc\n\nConfigured by environment variables (TSC_HOST, TSC_PORT, ONESHOT_DATA_DIR, DATABASE_URL, …): see docs/tsc.md.',
  async run(): Promise<number> {
    const config = loadTscConfig(process.env);
    const tsc = await startTsc(config);
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    await tsc.close();
    console.log('TSC stopped');
    return 0;
  },
};
