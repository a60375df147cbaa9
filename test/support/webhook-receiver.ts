/**
 * A webhook receiver for tests: a real HTTP server on a free loopback port that records every
 * POST (path, headers, exact raw body) and answers by a per-path script: `fail(path, n)` answers
 * 500 to the next n POSTs there, `redirect(path, to)` answers 302, `hang(path)` never answers
 * (timeout tests). It checks nothing itself; tests verify signatures and order on `hits`.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface WebhookHit {
  path: string;
  headers: Record<string, string | string[] | undefined>;
  raw: Buffer;
  /** Parsed body (null when not JSON). */
  json: any;
  /** Status this receiver answered. */
  answered: number;
  at: number;
}

export interface WebhookReceiver {
  url: string;
  hits: WebhookHit[];
  /** Hits of one path that were answered 2xx. */
  accepted(path: string): WebhookHit[];
  fail(path: string, times: number, status?: number): void;
  redirect(path: string, location: string): void;
  hang(path: string): void;
  /** Resolves when `pred` holds over the hits (polls; the test's own timeout bounds it). */
  waitFor(pred: (hits: WebhookHit[]) => boolean, what?: string): Promise<void>;
  close(): Promise<void>;
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const hits: WebhookHit[] = [];
  const failures = new Map<string, { left: number; status: number }>();
  const redirects = new Map<string, string>();
  const hanging = new Set<string>();
  const open = new Set<ServerResponse>();
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const path = (req.url ?? '/').split('?')[0]!;
      let json: unknown = null;
      try {
        json = JSON.parse(raw.toString('utf8'));
      } catch {
        json = null;
      }
      let status = 200;
      const f = failures.get(path);
      if (hanging.has(path)) status = 0;
      else if (redirects.has(path)) status = 302;
      else if (f && f.left > 0) {
        f.left--;
        status = f.status;
      }
      hits.push({ path, headers: { ...req.headers }, raw, json, answered: status, at: Date.now() });
      if (status === 0) {
        open.add(res);
        return;
      }
      if (status === 302) res.writeHead(302, { location: redirects.get(path)! });
      else res.writeHead(status, { 'content-type': 'text/plain' });
      res.end(status === 200 ? 'ok' : 'no');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    hits,
    accepted: (path) => hits.filter((h) => h.path === path && h.answered >= 200 && h.answered < 300),
    fail(path, times, status = 500) {
      failures.set(path, { left: times, status });
    },
    redirect(path, location) {
      redirects.set(path, location);
    },
    hang(path) {
      hanging.add(path);
    },
    async waitFor(pred, what = 'webhooks') {
      for (let i = 0; ; i++) {
        if (pred(hits)) return;
        if (i > 0 && i % 400 === 0) console.error(`still waiting for ${what}: ${hits.length} hits so far`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    async close() {
      for (const r of open) r.destroy();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}
