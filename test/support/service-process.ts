/**
 * Runs a service the way its container does — the entrypoint scripts in docker/ — as a child
 * process outside any container, waits for its "listening on <url>" line, and can kill it
 * (SIGKILL included) and start it again on the same data. Output is kept for assertions.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';

export const REPO = resolve(import.meta.dirname, '../..');

export interface ServiceProcess {
  url: string;
  proc: ChildProcess;
  /** stdout + stderr lines so far. */
  output: string[];
  /** Kills with `signal` and waits for the exit. */
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

/** The environment a container starts with: PATH and HOME only, plus `env`. */
function baseEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ONESHOT_HOME: REPO, ...env };
}

export async function startService(
  script: 'optimizer-entrypoint.sh' | 'tsc-entrypoint.sh', env: Record<string, string>, ready: RegExp,
): Promise<ServiceProcess> {
  const proc = spawn('sh', [resolve(REPO, 'docker', script)], { env: baseEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  let url: string | null = null;
  let exited = false;
  const exit = new Promise<void>((r) => proc.once('exit', () => { exited = true; r(); }));
  const onData = (b: Buffer) => {
    for (const line of b.toString('utf8').split('\n')) {
      if (!line) continue;
      output.push(line);
      const m = ready.exec(line);
      if (m && !url) url = m[1]!;
    }
  };
  proc.stdout!.on('data', onData);
  proc.stderr!.on('data', onData);
  while (!url) {
    if (exited) throw new Error(`${script} exited before listening:\n${output.slice(-30).join('\n')}`);
    await new Promise((r) => setTimeout(r, 25));
  }
  return {
    url,
    proc,
    output,
    async kill(signal = 'SIGTERM') {
      if (!exited) proc.kill(signal);
      await exit;
    },
  };
}

export const startOptimizerProcess = (env: Record<string, string>) =>
  startService('optimizer-entrypoint.sh', { OPTIMIZER_HOST: '127.0.0.1', OPTIMIZER_PORT: '0', ...env }, /Optimizer listening on (http:\/\/[^\s]+)/);

export const startTscProcess = (env: Record<string, string>) =>
  startService('tsc-entrypoint.sh', { TSC_HOST: '127.0.0.1', ...env }, /TSC listening on (http:\/\/[^\s]+)/);
