/**
 * External RFC 3161 TSAs as configured (TSC_TSA_URLS) or named by a sign call (issue 5 §4): an
 * ordered failover list, each with its own imprint hash algorithm and, optionally, the policy its
 * tokens must carry. Checked before anything changes (a bad list is a 400 / a startup error).
 */
import { AppError } from '../../../shared/errors.js';
import type { DigestAlgorithmName } from '../../../lib/cms/index.js';

export type TsaFailurePolicy = 'fail-closed' | 'degrade';
export const TSA_FAILURE_POLICIES: readonly TsaFailurePolicy[] = ['fail-closed', 'degrade'];

export interface TsaServer {
  /** http(s) URL; user:password in it becomes HTTP Basic authentication (never logged). */
  url: string;
  /** Hash of the message imprint sent to this TSA. */
  hash: DigestAlgorithmName;
  /** When set, this TSA's tokens must carry this policy OID. */
  policy?: string;
}

export const MAX_TSA_SERVERS = 5;
const HASHES: Record<string, DigestAlgorithmName> = { sha256: 'sha256', sha384: 'sha384', sha512: 'sha512', 'sha-256': 'sha256', 'sha-384': 'sha384', 'sha-512': 'sha512' };
const OID_RE = /^[0-2](\.(0|[1-9]\d{0,9})){1,20}$/;

function bad(message: string): AppError {
  return new AppError('API_ERR_INVALID_PARAMETER', message, { tsa: [message] });
}

/** Checks one server entry; `where` names it in messages. */
export function tsaServer(url: unknown, hashIn: unknown, policy: unknown, where: string): TsaServer {
  if (typeof url !== 'string' || url.length === 0 || url.length > 2048) throw bad(`${where}.url must be an http(s) URL of at most 2048 characters`);
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw bad(`${where}.url is not a URL`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw bad(`${where}.url must use http or https`);
  if (u.hash) throw bad(`${where}.url must not have a fragment`);
  const hash = hashIn === undefined ? 'sha256' : typeof hashIn === 'string' ? HASHES[hashIn.toLowerCase()] : undefined;
  if (!hash) throw bad(`${where}.hash_algorithm must be sha256, sha384 or sha512`);
  if (policy !== undefined && (typeof policy !== 'string' || !OID_RE.test(policy))) throw bad(`${where}.policy must be a dotted OID`);
  return { url, hash, ...(policy !== undefined ? { policy: policy as string } : {}) };
}

export function tsaServerList(list: unknown, where: string): TsaServer[] {
  if (!Array.isArray(list) || list.length === 0 || list.length > MAX_TSA_SERVERS) throw bad(`${where} must list 1-${MAX_TSA_SERVERS} TSAs`);
  return list.map((s, i) => {
    const w = `${where}[${i}]`;
    if (typeof s === 'string') return tsaServer(s, undefined, undefined, w);
    if (typeof s !== 'object' || s === null || Array.isArray(s)) throw bad(`${w} must be a URL or {url, hash_algorithm?, policy?}`);
    const o = s as Record<string, unknown>;
    for (const k of Object.keys(o)) if (!['url', 'hash_algorithm', 'policy'].includes(k)) throw bad(`${w}: unknown member ${k}`);
    return tsaServer(o.url, o.hash_algorithm, o.policy, w);
  });
}

/**
 * TSC_TSA_URLS: comma-separated entries `url[;hash=sha384][;policy=1.2.3]`, tried in order.
 * Throws a plain Error naming the variable (a configuration mistake stops the start).
 */
export function parseTsaUrlsSetting(raw: string | undefined): TsaServer[] {
  if (!raw || !raw.trim()) return [];
  const entries = raw.split(',').map((e) => e.trim()).filter(Boolean);
  try {
    if (entries.length > MAX_TSA_SERVERS) throw bad(`at most ${MAX_TSA_SERVERS} TSAs`);
    return entries.map((e, i) => {
      const [url, ...opts] = e.split(';').map((p) => p.trim());
      const o: Record<string, string> = {};
      for (const p of opts) {
        const [k, v] = p.split('=').map((x) => x.trim());
        if (!k || v === undefined || !['hash', 'policy'].includes(k)) throw bad(`entry ${i + 1}: options are hash=<sha256|sha384|sha512> and policy=<OID>`);
        o[k] = v;
      }
      return tsaServer(url, o.hash, o.policy, `entry ${i + 1}`);
    });
  } catch (e) {
    throw new Error(`TSC_TSA_URLS: ${(e as Error).message}`);
  }
}

/** The URL with any user:password removed, for error details and the audit log. */
export function displayUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    u.search = '';
    return u.toString();
  } catch {
    return '(invalid url)';
  }
}
