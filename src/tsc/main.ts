/**
 * Starts the TSC alone (`oneshot tsc`) or in-process (`npm start`): builds the app, listens on
 * TSC_HOST:TSC_PORT, and prints the sandbox RAO's credentials on the start that created them.
 */
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { buildTscApp, type TscApp, type TscAppDeps } from './app.js';
import type { TscConfig } from './config.js';

export interface RunningTsc {
  app: TscApp;
  /** http://host:port actually bound (port 0 → the chosen port). */
  url: string;
  close(): Promise<void>;
}

export async function startTsc(config: TscConfig, deps: TscAppDeps = {}, out: (line: string) => void = (l) => console.log(l)): Promise<RunningTsc> {
  const app = await buildTscApp(config, deps);
  try {
    await app.listen({ host: config.host, port: config.port });
  } catch (e) {
    await app.close();
    throw e;
  }
  const addr = app.server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  const url = `http://${host}:${addr.port}`;
  out(`TSC listening on ${url} (${config.env}, key store ${app.tsc.deps.keyStore.kind}); OpenAPI at ${url}/docs`);
  const s = app.tsc.sandboxRao;
  if (s?.generated) {
    // Announced once, on the start that created the account. The password and PIN stay in the
    // 0600 file: console output ends up in logs, and logs never hold credentials.
    out(`Sandbox RAO created: username=${s.credentials.username} registration_authority=${s.credentials.registration_authority}; ` +
      `password and PIN in ${join(config.tscDir, 'sandbox-rao.json')} (mode 0600)`);
  }
  return { app, url, close: () => app.close() };
}
