/**
 * WebhookSender over node:http/https (DESIGN.md §5 webhook targets):
 * - one POST, no redirect followed (a 3xx is a failed attempt like any non-2xx);
 * - a timeout for the whole exchange (connect + answer);
 * - private, loopback, link-local, CGNAT, multicast and unspecified addresses are refused unless
 *   allowed by configuration. The check runs inside the socket's DNS lookup, on the very
 *   addresses the socket connects to, so a name that resolves differently later (DNS rebinding)
 *   cannot slip through;
 * - the answer body is read up to 4 KiB and discarded.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import type { WebhookPost, WebhookPostResult, WebhookSender } from '../domain/async-ports.js';

const blocked = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) blocked.addSubnet(net, bits, 'ipv4');
for (const [net, bits] of [['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8]] as const) blocked.addSubnet(net, bits, 'ipv6');

/** True for addresses a webhook may not reach unless private targets are allowed. */
export function isPrivateAddress(address: string): boolean {
  const v = isIP(address);
  if (v === 4) return blocked.check(address, 'ipv4');
  // BlockList matches IPv4-mapped IPv6 (::ffff:7f00:1, ::ffff:127.0.0.1) against the IPv4 rules.
  if (v === 6) return blocked.check(address, 'ipv6');
  return true;
}

/** Checks a URL before it is stored (create request, settings): scheme and literal addresses. */
export function webhookUrlProblem(url: string, allowPrivate: boolean): string | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return 'not a URL';
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return 'must be an http(s) URL';
  if (u.username || u.password) return 'must not carry credentials';
  const host = u.hostname.replace(/^\[|\]$/g, '');
  if (!allowPrivate && (host === 'localhost' || host.endsWith('.localhost') || (isIP(host) && isPrivateAddress(host)))) {
    return 'private and loopback targets are not allowed';
  }
  return null;
}

class RefusedTarget extends Error {}

export class HttpWebhookSender implements WebhookSender {
  constructor(private readonly opts: { timeoutMs: number; allowPrivate: boolean; userAgent: string }) {}

  private readonly lookup: LookupFunction = (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '', 0);
      const list = addresses as LookupAddress[];
      const bad = this.opts.allowPrivate ? undefined : list.find((a) => isPrivateAddress(a.address));
      if (bad || list.length === 0) return callback(new RefusedTarget('webhook target resolves to a private address'), '', 0);
      if ((options as { all?: boolean }).all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, list);
      callback(null, list[0]!.address, list[0]!.family);
    });
  };

  async post(req: WebhookPost): Promise<WebhookPostResult> {
    let u: URL;
    try {
      u = new URL(req.url);
    } catch {
      return { ok: false, status: null, error: 'invalid URL', permanent: true };
    }
    const problem = webhookUrlProblem(req.url, this.opts.allowPrivate);
    if (problem) return { ok: false, status: null, error: `refused: ${problem}`, permanent: true };
    const body = Buffer.from(req.body, 'utf8');
    const options: RequestOptions = {
      method: 'POST',
      host: u.hostname.replace(/^\[|\]$/g, ''),
      port: u.port || (u.protocol === 'https:' ? 443 : 80),
      path: `${u.pathname}${u.search}`,
      headers: { ...req.headers, 'content-length': String(body.length), 'user-agent': this.opts.userAgent },
      lookup: this.lookup,
      // A fresh connection per attempt: the lookup check above runs for each one.
      agent: false,
    };
    return new Promise<WebhookPostResult>((resolve) => {
      let settled = false;
      const done = (r: WebhookPostResult) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(r);
      };
      const send = u.protocol === 'https:' ? httpsRequest : httpRequest;
      const r = send(options, (res) => {
        const status = res.statusCode ?? 0;
        let seen = 0;
        res.on('data', (c: Buffer) => {
          seen += c.length;
          if (seen > 4096) res.destroy();
        });
        const finish = () =>
          done(status >= 200 && status < 300 ? { ok: true, status } : { ok: false, status, error: status >= 300 && status < 400 ? `redirect ${status} not followed` : `HTTP ${status}` });
        res.on('end', finish);
        res.on('close', finish);
        res.on('error', finish);
      });
      const timer = setTimeout(() => {
        r.destroy(new Error('timeout'));
        done({ ok: false, status: null, error: `timeout after ${this.opts.timeoutMs} ms` });
      }, this.opts.timeoutMs);
      r.on('error', (e) => {
        // Host names and addresses only; never the whole URL (its query may hold a token).
        if (e instanceof RefusedTarget) return done({ ok: false, status: null, error: `refused: ${e.message}`, permanent: true });
        done({ ok: false, status: null, error: String((e as NodeJS.ErrnoException).code ?? e.message).slice(0, 200) });
      });
      r.end(body);
    });
  }
}
