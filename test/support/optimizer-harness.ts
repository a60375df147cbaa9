/**
 * Builds an Optimizer on a fresh temp data dir (SQLite) against a TSC URL, and rebuilds it on the
 * same dir to simulate restarts. Calls go through fastify's inject (no port needed).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { loadOptimizerConfig, type OptimizerConfig } from '../../src/optimizer/config.js';
import { buildOptimizerApp, type OptimizerApp, type OptimizerDeps } from '../../src/optimizer/app.js';

export interface Harness {
  dir: string;
  config: OptimizerConfig;
  opt: OptimizerApp;
  /** Closes the app and builds a new one on the same data dir (a process restart). */
  restart(): Promise<void>;
  call(method: string, url: string, body?: unknown, headers?: Record<string, string>): Promise<Res>;
  upload(url: string, parts: Part[], headers?: Record<string, string>): Promise<Res>;
  close(): Promise<void>;
}

export interface Res {
  status: number;
  json: any;
  body: Buffer;
  headers: Record<string, unknown>;
}

export interface Part {
  name: string;
  filename?: string;
  type?: string;
  data: Buffer | string;
}

export function multipart(parts: Part[]): { payload: Buffer; contentType: string } {
  const boundary = `----oneshot${randomBytes(8).toString('hex')}`;
  const chunks: Buffer[] = [];
  for (const p of parts) {
    let h = `--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"`;
    if (p.filename !== undefined) h += `; filename="${p.filename}"`;
    h += '\r\n';
    if (p.type) h += `Content-Type: ${p.type}\r\n`;
    chunks.push(Buffer.from(h + '\r\n'), Buffer.isBuffer(p.data) ? p.data : Buffer.from(p.data), Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { payload: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}

function toRes(r: { statusCode: number; rawPayload: Buffer; headers: Record<string, unknown> }): Res {
  let json: unknown = null;
  if (String(r.headers['content-type'] ?? '').includes('json')) {
    try {
      json = JSON.parse(r.rawPayload.toString('utf8'));
    } catch {
      json = null;
    }
  }
  return { status: r.statusCode, json, body: r.rawPayload, headers: r.headers };
}

export async function startHarness(opts: {
  tscUrl: string;
  tscKey: string | null;
  env?: Record<string, string>;
  deps?: () => OptimizerDeps;
  databaseUrl?: string;
}): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), 'oneshot-opt-'));
  const config = loadOptimizerConfig({
    ONESHOT_DATA_DIR: dir,
    TSC_URL: opts.tscUrl,
    ...(opts.tscKey ? { TSC_CLIENT_API_KEY: opts.tscKey } : {}),
    ...(opts.databaseUrl ? { DATABASE_URL: opts.databaseUrl } : {}),
    ...opts.env,
  });
  let opt = await buildOptimizerApp(config, opts.deps?.() ?? {});
  const h: Harness = {
    dir,
    config,
    get opt() {
      return opt;
    },
    async restart() {
      await opt.close();
      opt = await buildOptimizerApp(config, opts.deps?.() ?? {});
    },
    async call(method, url, body, headers = {}) {
      const r = await opt.app.inject({
        method: method as 'GET',
        url,
        headers: body !== undefined && typeof body !== 'string' ? { 'content-type': 'application/json', ...headers } : headers,
        payload: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      });
      return toRes(r);
    },
    async upload(url, parts, headers = {}) {
      const { payload, contentType } = multipart(parts);
      return toRes(await opt.app.inject({ method: 'POST', url, payload, headers: { 'content-type': contentType, ...headers } }));
    },
    async close() {
      await opt.close();
      await rm(dir, { recursive: true, force: true });
    },
  } as Harness;
  return h;
}
