/**
 * Settings (oneshot-api.md §1.1 #2/#3, §4.2): the Gen B sections plus our own `signature.level`,
 * `tsa.tsa_failover_urls` and `webhook.url`. Unknown sections are kept (extensible); known keys are
 * type-checked so a bad POST changes nothing.
 */
import { AppError } from '../../shared/errors.js';
import type { OptimizerContext } from './context.js';
import { FAILURE_POLICIES, LEVELS, TSA_HASHES } from './levels.js';
import type { Settings } from './ports.js';
import { VIDEOID_SETTING_CHECKS } from './videoid-rules.js';

/** PAdES levels (ETSI EN 319 142-1 §6): B-B, B-T, B-LT, B-LTA (domain/levels.ts, docs/levels.md). */
export { LEVELS };

export function defaultSettings(): Settings {
  return {
    tsa: { tsa_url: '', tsa_failover_urls: [] },
    request: { default_profile: 'PFnubeQAFCiudadano', default_ra: '' },
    billing: { billing_username: '', billing_password: '' },
    proxy: {
      // Strings, as the Gen B settings.ini/OpenAPI have them.
      useproxy: 'false', proxy_host: '', proxy_port: '', proxy_protocol: '', proxy_username: '', proxy_password: '',
      useproxycredentials: 'false',
    },
    general: { environment: 'sandbox', rootstore: 'uanataca', configuration: 'default', usepdfclean: false },
    signature: { level: 'B-T', failure_policy: 'fail-closed' },
    webhook: { url: '', format: 'C' },
  };
}

const SECRET_KEYS = new Set(['billing_password', 'proxy_password']);
/** What GET /settings shows for a secret that is set. */
const MASK = '********';

/** GET /settings view: secrets are never echoed back, only whether they are set. */
export async function getSettings(ctx: OptimizerContext): Promise<Settings> {
  const s = structuredClone(await ctx.settings.read());
  for (const [, section] of Object.entries(s)) {
    if (section && typeof section === 'object' && !Array.isArray(section)) {
      for (const k of Object.keys(section)) {
        const rec = section as Record<string, unknown>;
        if (SECRET_KEYS.has(k) && rec[k]) rec[k] = MASK;
      }
    }
  }
  return s;
}

type Check = (v: unknown) => boolean;
const str: Check = (v) => typeof v === 'string';
const bool: Check = (v) => typeof v === 'boolean' || v === 'true' || v === 'false';
/** Booleans kept as "true"/"false" text (the Gen B proxy section is all strings). */
const boolText: Check = (v) => bool(v);
const url: Check = (v) => v === '' || (typeof v === 'string' && /^https?:\/\/[^\s]+$/.test(v));
const KNOWN: Record<string, Record<string, Check>> = {
  tsa: {
    tsa_url: url,
    tsa_failover_urls: (v) => Array.isArray(v) && v.length <= 4 && v.every(url),
    // Per-TSA imprint hash: {"<url>": "sha384"} (default sha256).
    tsa_hash_algorithms: (v) => !!v && typeof v === 'object' && !Array.isArray(v)
      && Object.entries(v).every(([k, h]) => url(k) && (TSA_HASHES as readonly unknown[]).includes(h)),
  },
  // A registration authority id ("9999"), or '' for none: anything else would fail every later
  // create that relies on it ("Invalid registration_authority").
  request: { default_profile: str, default_ra: (v) => (typeof v === 'string' && /^(|[0-9]{1,12})$/.test(v.trim())) || (Number.isInteger(v) && (v as number) >= 0) },
  billing: { billing_username: str, billing_password: str },
  proxy: {
    useproxy: boolText, proxy_host: str, proxy_port: (v) => typeof v === 'string' || Number.isInteger(v), proxy_protocol: str,
    proxy_username: str, proxy_password: str, useproxycredentials: boolText,
  },
  general: {
    environment: (v) => v === 'sandbox' || v === 'prod', rootstore: str, configuration: str, usepdfclean: bool,
  },
  signature: {
    level: (v) => (LEVELS as readonly string[]).includes(v as string),
    failure_policy: (v) => (FAILURE_POLICIES as readonly unknown[]).includes(v),
  },
  // format: payload shape of the RA-level webhook, "C" (request object) or "B" (request pk); docs/async.md.
  webhook: { url, format: (v) => v === 'B' || v === 'C' },
  videoid: VIDEOID_SETTING_CHECKS,
};

/** Keys that would reach an object's prototype when merged (JSON.parse keeps `__proto__` as data). */
const RESERVED = new Set(['__proto__', 'constructor', 'prototype']);

export async function updateSettings(ctx: OptimizerContext, body: unknown): Promise<Settings> {
  if (body === undefined || body === null) return ctx.settings.read();
  if (typeof body !== 'object' || Array.isArray(body)) {
    throw new AppError('API_ERR_INVALID_PARAMETER', 'Settings must be a JSON object of sections');
  }
  const patch: Record<string, Record<string, unknown>> = {};
  for (const [section, value] of Object.entries(body as Record<string, unknown>)) {
    if (RESERVED.has(section)) throw new AppError('API_ERR_INVALID_PARAMETER', `Invalid settings section '${section}'`);
    if (!value || typeof value !== 'object' || Array.isArray(value)) {
      throw new AppError('API_ERR_INVALID_PARAMETER', `Settings section '${section.slice(0, 40)}' must be an object`);
    }
    // Own keys only: "constructor", "toString"… must not find Object.prototype's members.
    const known = Object.hasOwn(KNOWN, section) ? KNOWN[section] : undefined;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (RESERVED.has(k)) throw new AppError('API_ERR_INVALID_PARAMETER', `Invalid settings key '${section.slice(0, 40)}.${k}'`);
      // A GET → edit → POST round trip sends the mask back: it keeps the stored secret.
      if (SECRET_KEYS.has(k) && v === MASK) continue;
      const check = known && Object.hasOwn(known, k) ? known[k] : undefined;
      if (check && !check(v)) throw new AppError('API_ERR_INVALID_PARAMETER', `Invalid value for ${section}.${k}`);
      out[k] = check === bool ? v === true || v === 'true'
        : check === boolText ? String(v === true || v === 'true')
        : typeof v === 'number' && check !== undefined ? String(v) : v;
    }
    patch[section] = out;
  }
  return ctx.settings.update(patch);
}
