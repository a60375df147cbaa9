/**
 * An external RFC 3161 TSA for tests, independent of our code: an HTTP server on a free loopback
 * port whose replies come from `openssl ts -reply` (TSA certificate with critical timeStamping EKU
 * under an openssl-made root). Its behaviour can be switched to exercise failover and the failure
 * policy: `down` (connection dropped), `hang` (never answers), `http500`, `garbage` (200 with a
 * non-DER body), `other-imprint` (a valid token for a different hash).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFile, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { opensslOk, tempDir } from '../../support/openssl.js';
import { opensslRootCa, opensslTsa } from '../../support/pki-openssl.js';

export type TsaMode = 'up' | 'down' | 'hang' | 'http500' | 'garbage' | 'other-imprint';

export interface OpensslTsaServer {
  url: string;
  mode: TsaMode;
  /** Requests received (any mode). */
  requests: number;
  /** Authorization headers received. */
  authorizations: string[];
  /** When set, the server goes `down` after answering this many more requests. */
  downAfter: number | null;
  rootPemPath: string;
  tsaCertPath: string;
  close(): Promise<void>;
}

export async function startOpensslTsaServer(policy = '1.2.3.4.1'): Promise<OpensslTsaServer> {
  const d = await tempDir('tsa-ossl-');
  const ca = await opensslRootCa(d.dir);
  const tsa = await opensslTsa(ca, policy);
  let n = 0;
  // `openssl ts -reply` reads, increments and rewrites its serial file: two replies at once race on
  // it ("Error during serial number generation"), so replies are made one at a time.
  let replying: Promise<unknown> = Promise.resolve();
  const oneAtATime = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = replying.then(fn, fn);
    replying = next.catch(() => undefined);
    return next;
  };
  const hanging = new Set<import('node:http').ServerResponse>();
  const state: OpensslTsaServer = {
    url: '', mode: 'up', requests: 0, authorizations: [], downAfter: null, rootPemPath: ca.rootCertPath, tsaCertPath: tsa.certPath,
    close: async () => {
      for (const r of hanging) r.destroy();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await d.cleanup();
    },
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      state.requests++;
      if (req.headers.authorization) state.authorizations.push(req.headers.authorization);
      if (state.downAfter !== null && state.downAfter-- <= 0) state.mode = 'down';
      const mode = state.mode;
      if (mode === 'down') return req.socket.destroy();
      if (mode === 'hang') return void hanging.add(res);
      if (mode === 'http500') return res.writeHead(500).end();
      if (mode === 'garbage') return res.writeHead(200, { 'content-type': 'application/timestamp-reply' }).end('not DER');
      try {
        const id = ++n;
        const q = await d.write(`q${id}.tsq`, Buffer.concat(chunks));
        let query = q;
        if (mode === 'other-imprint') {
          query = d.path(`o${id}.tsq`);
          await writeFile(d.path(`o${id}.bin`), createHash('sha256').update(`other ${id}`).digest());
          await opensslOk(['ts', '-query', '-data', d.path(`o${id}.bin`), '-sha256', '-cert', '-out', query]);
        }
        await oneAtATime(() => opensslOk(['ts', '-reply', '-config', tsa.configPath, '-queryfile', query, '-out', d.path(`r${id}.tsr`)]));
        res.writeHead(200, { 'content-type': 'application/timestamp-reply' }).end(await readFile(d.path(`r${id}.tsr`)));
      } catch {
        res.writeHead(500).end();
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/tsr`;
  return state;
}

/** A loopback URL where nothing listens (the port was free a moment ago): connection refused. */
export async function closedPortUrl(): Promise<string> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return `http://127.0.0.1:${port}/tsa`;
}
