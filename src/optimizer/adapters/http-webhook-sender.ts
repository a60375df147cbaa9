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
// fec0::/10 is the deprecated site-local range (RFC 3879), 100::/64 the discard prefix (RFC 6666),
// 2001::/32 Teredo (RFC 4380: the relay unwraps to an IPv4 peer we cannot check, its address being
// XOR-obfuscated) and 2001:db8::/32 documentation (RFC 3849).
for (const [net, bits] of [
  ['::', 128], ['::1', 128], ['100::', 64], ['2001::', 32], ['2001:db8::', 32], ['fc00::', 7], ['fe80::', 10], ['fec0::', 10], ['ff00::', 8],
] as const) {
  blocked.addSubnet(net, bits, 'ipv6');
}

/** The 16 bytes of a well-formed IPv6 address (zone id dropped; a trailing dotted quad allowed). */
function ipv6Bytes(address: string): Buffer {
  let a = address.replace(/%.*$/, '');
  const quad = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(a);
  if (quad) {
    const [b0, b1, b2, b3] = quad.slice(1).map(Number) as [number, number, number, number];
    a = `${a.slice(0, quad.index)}${((b0 << 8) | b1).toString(16)}:${((b2 << 8) | b3).toString(16)}`;
  }
  const [head, tail] = a.includes('::') ? a.split('::') as [string, string] : [a, null];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === null ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}

/**
 * IPv4 addresses carried inside an IPv6 one that a host or a gateway on the way turns back into
 * IPv4: IPv4-compatible ::a.b.c.d (RFC 4291 §2.5.5.1), NAT64 64:ff9b::/96 (RFC 6052) and the
 * local-use 64:ff9b:1::/48 (RFC 8215), 6to4 2002:aabb:ccdd::/48 (RFC 3056). (IPv4-mapped
 * ::ffff:a.b.c.d is matched by BlockList itself.)
 */
function embeddedIpv4(address: string): string | null {
  const b = ipv6Bytes(address);
  const v4 = (at: number) => `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}`;
  const zero = (from: number, to: number) => b.subarray(from, to).every((x) => x === 0);
  if (zero(0, 12)) return v4(12);
  if (zero(0, 8) && b.readUInt16BE(8) === 0xffff && zero(10, 12)) return v4(12); // SIIT ::ffff:0:a.b.c.d (RFC 2765)
  if (b.readUInt32BE(0) === 0x0064ff9b && zero(4, 12)) return v4(12);
  if (b.readUInt32BE(0) === 0x0064ff9b && b.readUInt16BE(4) === 1) return v4(12);
  if (b.readUInt16BE(0) === 0x2002) return v4(2);
  return null;
}

/** True for addresses a webhook may not reach unless private targets are allowed. */
export function isPrivateAddress(address: string): boolean {
  const v = isIP(address);
  if (v === 4) return blocked.check(address, 'ipv4');
  if (v === 6) {
    // BlockList matches IPv4-mapped IPv6 (::ffff:7f00:1, ::ffff:127.0.0.1) against the IPv4 rules.
    if (blocked.check(address, 'ipv6')) return true;
    const inner = embeddedIpv4(address);
    return inner !== null && blocked.check(inner, 'ipv4');
  }
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
