/**
 * The `oneshot` command table. Each command lives in its own module and is loaded only when run.
 * Other services add their entries here (`optimizer`, `start`, `demo`).
 */
export interface CliCommand {
  summary: string;
  usage: string;
  /** Returns the process exit code. */
  run(argv: string[]): Promise<number>;
}

export const COMMANDS: Record<string, () => Promise<CliCommand>> = {
  tsc: async () => (await import('./tsc-command.js')).tscCommand,
  'tsc-admin': async () => (await import('./tsc-admin-command.js')).tscAdminCommand,
  optimizer: async () => (await import('./optimizer-command.js')).optimizerCommand,
  start: async () => (await import('./start-command.js')).startCommand,
  demo: async () => (await import('./demo-command.js')).demoCommand,
};
