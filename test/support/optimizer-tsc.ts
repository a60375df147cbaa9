/**
 * The REAL TSC (src/tsc/app.ts) for the Optimizer's end-to-end tests: in-process, listening on a
 * free loopback port (its public URL — AIA, OCSP, CRL in the certificates — points there, so
 * pdfsig can check revocation), behind a transparent recording proxy. The Optimizer is given the
 * proxy's URL, so `traffic` holds every byte the TSC received from it (method, url, headers, body).
 */
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../../src/shared/clock.js';
import { buildTscApp, type TscApp } from '../../src/tsc/app.js';
import { loadTscConfig } from '../../src/tsc/config.js';
import type { Traffic } from './optimizer-leak.js';

export interface RealTsc {
  /** URL of the recording proxy (give it to the Optimizer). */
  url: string;
  /** URL of the TSC itself (public routes: /pki/root.pem …). */
  directUrl: string;
  apiKey: string;
  app: TscApp;
  rao: { username: string; password: string; pin: string };
  /** Registration authority of the sandbox RAO. */
  ra: number;
  traffic: Traffic[];
  rootPem(): Promise<string>;
  lastOtp(pk: number): Promise<string>;
  /** The request's status as the TSC holds it. */
  status(pk: number): Promise<string>;
  close(): Promise<void>;
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

function listen(s: Server): Promise<number> {
  return new Promise((r) => s.listen(0, '127.0.0.1', () => r((s.address() as AddressInfo).port)));
}

export async function startRealTsc(): Promise<RealTsc> {
  const dir = await mkdtemp(join(tmpdir(), 'oneshot-opt-tsc-'));
  const port = await freePort();
  const directUrl = `http://127.0.0.1:${port}`;
  const config = loadTscConfig({
    ONESHOT_DATA_DIR: dir, TSC_HOST: '127.0.0.1', TSC_PORT: String(port), TSC_PUBLIC_URL: directUrl,
    TSC_SCRYPT_LOG_N: '10', TSC_LOG_LEVEL: 'silent', ONESHOT_ENV: 'sandbox',
  });
  const app = await buildTscApp(config, { clock: systemClock, logger: false });
  await app.listen({ host: '127.0.0.1', port });
  const traffic: Traffic[] = [];
  const proxy = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      traffic.push({ method: req.method ?? '', url: req.url ?? '', headers: { ...req.headers }, body });
      const up = httpRequest({ host: '127.0.0.1', port, method: req.method, path: req.url, headers: req.headers }, (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      });
      up.on('error', () => {
        res.writeHead(502);
        res.end();
      });
      up.end(body);
    });
  });
  const proxyPort = await listen(proxy);
  const rao = app.tsc.sandboxRao!.credentials;
  return {
    url: `http://127.0.0.1:${proxyPort}`,
    directUrl,
    apiKey: config.clientApiKey,
    app,
    rao: { username: rao.username, password: rao.password, pin: rao.pin },
    ra: rao.registration_authority,
    traffic,
    async rootPem() {
      const r = await fetch(`${directUrl}/pki/root.pem`);
      if (!r.ok) throw new Error(`root.pem ${r.status}`);
      return r.text();
    },
    async lastOtp(pk) {
      // The TSC may be appending another request's line right now: a partial last line is skipped
      // (this request's line was complete before its POST /otp answered).
      const lines = (await readFile(config.outboxPath!, 'utf8')).split('\n').flatMap((l) => {
        try {
          return l.trim() ? [JSON.parse(l)] : [];
        } catch {
          return [];
        }
      });
      const mine = lines.filter((l) => l.request_pk === pk);
      if (!mine.length) throw new Error(`no OTP in the outbox for request ${pk}`);
      return mine[mine.length - 1].code as string;
    },
    async status(pk) {
      const r = await fetch(`${directUrl}/tsc/v1/requests/${pk}`, {
        headers: { authorization: `Bearer ${config.clientApiKey}`, 'x-rao-username': rao.username, 'x-rao-password': rao.password },
      });
      if (!r.ok) throw new Error(`status of ${pk}: ${r.status}`);
      return ((await r.json()) as { status: string }).status;
    },
    async close() {
      await new Promise((r) => proxy.close(r));
      await app.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
