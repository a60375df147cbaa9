/**
 * A tiny round-robin HTTP load balancer for the scale-out tests: each request goes to the next
 * upstream, bodies streamed both ways. With an `x-client` header the rotation is kept per client,
 * so one flow's consecutive calls strictly alternate between processes. Every request is
 * recorded with the upstream that served it.
 */
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Routed {
  client: string;
  upstream: number;
  method: string;
  path: string;
  status: number;
}

export interface RoundRobinProxy {
  url: string;
  routed: Routed[];
  close(): Promise<void>;
}

export async function startRoundRobinProxy(upstreams: string[]): Promise<RoundRobinProxy> {
  const targets = upstreams.map((u) => new URL(u));
  const next = new Map<string, number>();
  const routed: Routed[] = [];
  const server = createServer((req, res) => {
    const client = String(req.headers['x-client'] ?? '*');
    const i = next.get(client) ?? 0;
    next.set(client, (i + 1) % targets.length);
    const t = targets[i]!;
    const path = (req.url ?? '/').split('?')[0]!;
    const up = httpRequest({ host: t.hostname, port: t.port, method: req.method, path: req.url, headers: req.headers }, (r) => {
      routed.push({ client, upstream: i, method: req.method ?? '', path, status: r.statusCode ?? 0 });
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    up.on('error', () => {
      routed.push({ client, upstream: i, method: req.method ?? '', path, status: 502 });
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(up);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    routed,
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}
