/**
 * `oneshot <command> [args]`: the project's single command-line entry (bin/oneshot.mjs, npm scripts).
 * Configuration comes from the environment (docs/tsc.md and the Optimizer's docs list the variables).
 */
import { pathToFileURL } from 'node:url';
import { UsageError } from './args.js';
import { COMMANDS } from './commands.js';

function help(): string {
  return ['Usage: oneshot <command> [options]', '', 'Commands:', ...Object.keys(COMMANDS).map((c) => `  ${c}`), '',
    'Run `oneshot <command> --help` for the options of a command.'].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(help());
    return name ? 0 : 2;
  }
  const load = COMMANDS[name];
  if (!load) {
    console.error(`oneshot: unknown command "${name}"\n\n${help()}`);
    return 2;
  }
  const cmd = await load();
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(`${cmd.summary}\n\n${cmd.usage}`);
    return 0;
  }
  try {
    return await cmd.run(rest);
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`oneshot ${name}: ${e.message}\n\n${cmd.usage}`);
      return 2;
    }
    console.error(`oneshot ${name}: ${(e as Error).message}`);
    return 1;
  }
}

// Run directly (`node --import tsx src/cli/main.ts …`, the npm scripts); bin/oneshot.mjs imports main().
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main(process.argv.slice(2));
}
