/**
 * An HTTP proxy in front of a service (the TSC) that can pause traffic at a chosen point, so a
 * test can kill a client process there for real: `holdRequests(re)` keeps matching requests
 * without forwarding them (released later, or dropped when their client died meanwhile);
 * `holdResponses(re)` forwards them and keeps the upstream's answer. It counts what it forwarded
 * and how the upstream answered.
 */
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

interface Held {
  path: string;
  release(): void;
  /** True once the client's connection is closed (its process died). */
  gone(): boolean;
}

export interface Forwarded {
  method: string;
  path: string;
  status: number;
  body: Buffer;
}

export interface GateProxy {
  url: string;
  forwarded: Forwarded[];
  holdRequests(re: RegExp | null): void;
  holdResponses(re: RegExp | null): void;
  /** Requests (or responses) currently held. */
  held(): string[];
  /** Lets everything held go on (a request whose client is gone is dropped, not forwarded). */
  releaseAll(): void;
  /** Resolves once the clients of every held request have closed their connections. */
  waitClientsGone(): Promise<void>;
  waitHeld(n?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startGateProxy(upstream: string): Promise<GateProxy> {
  const up = new URL(upstream);
  const held: Held[] = [];
  const forwarded: Forwarded[] = [];
  let holdReq: RegExp | null = null;
  let holdRes: RegExp | null = null;

  const forward = (req: IncomingMessage, res: ServerResponse, body: Buffer, path: string, clientGone: () => boolean) => {
    const u = httpRequest({ host: up.hostname, port: up.port, method: req.method, path: req.url, headers: req.headers }, (r) => {
      const chunks: Buffer[] = [];
      r.on('data', (c: Buffer) => chunks.push(c));
      r.on('end', () => {
        const answer = Buffer.concat(chunks);
        forwarded.push({ method: req.method ?? '', path, status: r.statusCode ?? 0, body: answer });
        const send = () => {
          if (res.destroyed || res.socket?.destroyed) return;
          res.writeHead(r.statusCode ?? 502, r.headers);
          res.end(answer);
        };
        if (holdRes?.test(path)) held.push({ path, release: send, gone: clientGone });
        else send();
      });
    });
    u.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    u.end(body);
  };

  const server = createServer((req, res) => {
    let closed = false;
    req.socket.on('close', () => { closed = true; });
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const path = (req.url ?? '/').split('?')[0]!;
      if (holdReq?.test(path)) {
        held.push({
          path,
          gone: () => closed,
          release: () => {
            if (closed || res.destroyed || req.socket.destroyed) return; // the client died: never reaches upstream
            forward(req, res, body, path, () => closed);
          },
        });
        return;
      }
      forward(req, res, body, path, () => closed);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    forwarded,
    holdRequests(re) {
      holdReq = re;
    },
    holdResponses(re) {
      holdRes = re;
    },
    held: () => held.map((h) => h.path),
    releaseAll() {
      for (const h of held.splice(0)) h.release();
    },
    async waitClientsGone() {
      while (!held.every((h) => h.gone())) await new Promise((r) => setTimeout(r, 10));
    },
    async waitHeld(n = 1) {
      while (held.length < n) await new Promise((r) => setTimeout(r, 20));
    },
    async close() {
      held.splice(0);
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}
