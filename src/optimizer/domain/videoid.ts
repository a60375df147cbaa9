/**
 * VideoID requests (oneshot-api.md §1.7 #32, §1.9, §2.2; docs/videoid.md): creation in eIDAS link
 * mode (our hosted identification page) or external mode (the customer's provider uploads the
 * evidence), the videoid_pk ↔ request_pk map, the per-request lock, and the status steps the
 * Optimizer drives at the TSC (which owns the status machine) with their webhooks.
 */
import { createHash } from 'node:crypto';
import { AppError, isAppError } from '../../shared/errors.js';
import { randomToken } from '../../shared/ids.js';
import type { OptimizerContext } from './context.js';
import { echo } from './ids.js';
import type { ApiGen, RequestRecord, RequestStatus, TscRequestObject } from './ports.js';
import { raoOf, signerOf, type Fields, type SignerIdentity } from './requests.js';
import { resolveCredentials, resolveEnvironment } from './tokens.js';
import type { VideoIdMode, VideoIdRecord } from './videoid-ports.js';
import { videoIdSettings } from './videoid-rules.js';
import { emitStatusChange } from './webhooks.js';

export interface CreatedVideoId {
  videoid_pk: number;
  videoid_link: string;
  request_pk: number;
}

/** Identity fields a create call may already carry (our extension; the Gen B body has e-mail and mobile only). */
const OPTIONAL_IDENTITY = ['given_name', 'surname_1', 'surname_2', 'serial_number', 'id_document_type', 'id_document_country', 'communication_language'];

/** Hosted link secrets: 32 random bytes, base64url (43 characters); only their SHA-256 is stored. */
export const LINK_TOKEN_RE = /^[A-Za-z0-9_-]{43}$/;
export const linkHashOf = (token: string) => createHash('sha256').update(token, 'utf8').digest('hex');

function text(v: unknown, name: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (typeof v !== 'string') throw new AppError('API_ERR_INVALID_PARAMETER', `Invalid parameter: '${name}' must be a string`);
  const t = v.trim();
  return t === '' ? undefined : t;
}

/** A URL with user info (`https://user:pass@host/…`); unparsable URLs count as such too. */
function withCredentials(url: string): boolean {
  try {
    const u = new URL(url);
    return u.username !== '' || u.password !== '';
  } catch {
    return true;
  }
}

function parseMode(v: unknown, dflt: VideoIdMode): VideoIdMode {
  if (v === undefined || v === null || v === '') return dflt;
  const s = String(v).trim().toLowerCase();
  if (s === '1' || s === 'true' || s === 'eidas') return 'eidas';
  if (s === '2' || s === 'external') return 'external';
  throw new AppError('API_ERR_INVALID_PARAMETER', "Invalid videoid_mode: use 1 or 'eidas' (hosted link), 2 or 'external'");
}

/** The signer identity as the TSC holds it now (names may still be empty before the identification). */
export function signerFrom(o: TscRequestObject, prev?: SignerIdentity): SignerIdentity {
  const s = (k: string) => (typeof o[k] === 'string' ? (o[k] as string) : '');
  return {
    ...prev,
    given_name: s('given_name'), surname_1: s('surname_1'), email: s('email'),
    ...(s('surname_2') ? { surname_2: s('surname_2') } : {}),
    ...(s('serial_number') ? { serial_number: s('serial_number') } : {}),
    ...(s('id_document_type') ? { id_document_type: s('id_document_type') } : {}),
    ...(s('id_document_country') ? { id_document_country: s('id_document_country') } : {}),
  };
}

export function linkOf(ctx: OptimizerContext, token: string): string {
  return `${ctx.videoid.publicUrl.replace(/\/+$/, '')}/videoid/${token}`;
}

/** POST /videoid: the TSC creates the request in VIDEOPENDING; we keep the map and, in eIDAS mode, mint the link. */
export async function createVideoId(ctx: OptimizerContext, gen: ApiGen, input: Fields): Promise<CreatedVideoId> {
  const settings = await ctx.settings.read();
  const vs = videoIdSettings(settings);
  const explicit = text(input.token, 'token') !== undefined || text(input.username, 'username') !== undefined;
  // The Gen B body carries no RAO credentials: `videoid.token` names the RAO that creates the requests.
  const { creds, token } = await resolveCredentials(ctx, explicit ? input : { token: vs.token || undefined });
  const env = await resolveEnvironment(ctx, input.env ?? token?.env);

  const body: Record<string, unknown> = { videoid_mode: true };
  const email = text(input.email, 'email');
  const mobile = text(input.mobile_phone_number, 'mobile_phone_number');
  const profile = text(input.profile, 'profile') ?? (settings.request.default_profile || undefined);
  const ra = text(input.registration_authority, 'registration_authority') ?? (settings.request.default_ra || undefined)
    ?? (token?.registrationAuthority != null ? String(token.registrationAuthority) : undefined);
  const missing = Object.entries({ email, mobile_phone_number: mobile, profile, registration_authority: ra }).filter(([, v]) => !v).map(([k]) => k);
  if (missing.length) throw new AppError('API_ERR_MISSING_PARAMETER', `Missing required parameters: ${missing.join(', ')}`);
  if (!/^[1-9][0-9]{0,9}$/.test(ra!)) throw new AppError('REQ_ERR_INVALID_FIELD', `Invalid registration_authority: ${echo(ra)}`);
  Object.assign(body, { email, mobile_phone_number: mobile, profile, registration_authority: Number(ra) });
  for (const f of OPTIONAL_IDENTITY) {
    const v = text(input[f], f);
    if (v !== undefined) body[f] = v;
  }
  const mode = parseMode(input.videoid_mode, vs.mode);
  const webhook = text(input.webhook_url, 'webhook_url') ?? null;
  if (webhook !== null && (!/^https?:\/\/[^\s]+$/.test(webhook) || webhook.length > 2048)) {
    throw new AppError('API_ERR_INVALID_PARAMETER', 'Invalid webhook_url: must be an http(s) URL');
  }
  if (webhook !== null && withCredentials(webhook)) {
    // The sender refuses such a target for good (docs/async.md): say so now, and keep no password.
    throw new AppError('API_ERR_INVALID_PARAMETER', 'Invalid webhook_url: must not carry credentials');
  }

  let created: TscRequestObject;
  try {
    created = await ctx.tsc.createRequest(creds, body);
  } catch (e) {
    if (isAppError(e) && e.code === 'RAO_ERR_PERMISSION_DENIED') {
      throw new AppError('RAO_ERR_PERMISSION_DENIED', 'Error creating new videoid request: {"detail":"You do not have permission to perform this action."}');
    }
    throw e;
  }

  const now = ctx.clock.now();
  const linkToken = mode === 'eidas' ? randomToken(32) : null;
  const pk = created.pk;
  try {
    await ctx.requests.insert({
      pk, status: created.status, env, profile: profile!, registrationAuthority: Number(ra), tokenUid: token?.uid ?? null,
      raoSealed: ctx.secrets.seal(JSON.stringify(creds), `request:${pk}:rao`),
      signerSealed: ctx.secrets.seal(JSON.stringify(signerFrom(created)), `request:${pk}:signer`),
      useAsync: false, callback: webhook, asyncStatus: null, createdAt: now, updatedAt: now, signedAt: null,
    });
    const videoidPk = await ctx.videoid.store.nextPk();
    await ctx.videoid.store.insert({
      videoidPk, requestPk: pk, mode,
      linkHash: linkToken ? linkHashOf(linkToken) : null,
      linkExpiresAt: linkToken ? new Date(now.getTime() + ctx.videoid.linkTtlMs) : null,
      linkUsedAt: null, items: {}, dataSealed: null, failure: null, evidenceDeletedAt: null, createdAt: now, updatedAt: now,
    });
    await emitStatusChange(ctx, pk, created.status, {
      init: { callbackFormat: gen, scratchcard: typeof created.scratchcard === 'string' ? created.scratchcard : null },
    });
    return { videoid_pk: videoidPk, videoid_link: linkToken ? linkOf(ctx, linkToken) : '', request_pk: pk };
  } catch (e) {
    // Keep the TSC and our records in step: a request we could not record is cancelled there.
    await ctx.requests.delete(pk).catch(() => {});
    await ctx.tsc.cancelRequest(creds, pk, 'VideoID request could not be recorded by the Optimizer').catch(() => {});
    throw e;
  }
}

/**
 * The VideoID record and request an id names. Gen C routes name the videoid_pk, Gen B ones the
 * request_pk; both are accepted (oneshot-api.md §1.9): `prefer` says which sequence is looked up
 * first, the other one is the fallback.
 */
export async function resolveVideoId(
  ctx: OptimizerContext,
  raw: string | undefined,
  prefer: 'videoid' | 'request',
): Promise<{ v: VideoIdRecord; r: RequestRecord }> {
  const s = String(raw ?? '');
  const notFound = () => new AppError('VIDEOID_ERR_NOT_FOUND', 'Request not found');
  if (!/^[1-9][0-9]{0,14}$/.test(s)) throw notFound();
  const id = Number(s);
  const store = ctx.videoid.store;
  const v = prefer === 'videoid'
    ? (await store.byVideoIdPk(id)) ?? (await store.byRequestPk(id))
    : (await store.byRequestPk(id)) ?? (await store.byVideoIdPk(id));
  if (!v) throw notFound();
  const r = await ctx.requests.get(v.requestPk);
  if (!r) throw notFound();
  return { v, r };
}

const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));

/**
 * Runs `fn` holding the request's VideoID lock: evidence calls of one request (a provider may send
 * the JSON and the video in parallel) are applied one at a time. Waits up to ~10 s for the lock.
 */
export async function withVideoIdLock<T>(ctx: OptimizerContext, pk: number, fn: () => Promise<T>): Promise<T> {
  for (let i = 0; ; i++) {
    const release = await ctx.lock.tryAcquire(`videoid:${pk}`, 60_000);
    if (release) {
      try {
        return await fn();
      } finally {
        await release();
      }
    }
    if (i >= 400) throw new AppError('REQ_ERR_BUSY', `Request ${pk} is busy; try again later`);
    await sleep(25);
  }
}

/**
 * Mirrors a status the TSC answered with and queues its webhooks. The event is recorded first: a
 * process dying before the mirror is updated leaves a stale mirror that the next look at the TSC
 * corrects (the event is not repeated), whereas a mirror updated first would hide the change for
 * good and its event would never be sent.
 */
export async function recordStatus(ctx: OptimizerContext, r: RequestRecord, status: RequestStatus, signer?: SignerIdentity): Promise<void> {
  await emitStatusChange(ctx, r.pk, status);
  await ctx.requests.update(r.pk, {
    status, updatedAt: ctx.clock.now(),
    ...(signer ? { signerSealed: ctx.secrets.seal(JSON.stringify(signer), `request:${r.pk}:signer`) } : {}),
  });
  r.status = status;
}

/**
 * Moves a VideoID request to `to` at the TSC with the credentials of the RAO that created it.
 * VIDEOERROR is left through VIDEOPENDING (a new attempt); staying in VIDEOERROR calls nothing.
 * VIDEOINCOMPLETE → VIDEOINCOMPLETE is the TSC's audited self-transition (more evidence arrived).
 */
export async function moveVideoStatus(ctx: OptimizerContext, r: RequestRecord, to: RequestStatus, reason?: string): Promise<void> {
  const creds = raoOf(ctx, r);
  const step = async (s: RequestStatus, why?: string) => {
    const o = await ctx.videoid.tsc.setVideoStatus(creds, r.pk, s, why);
    await recordStatus(ctx, r, o.status);
  };
  if (r.status === to && to !== 'VIDEOINCOMPLETE') return;
  if (r.status === 'VIDEOERROR' && to !== 'VIDEOPENDING') await step('VIDEOPENDING', 'new evidence after a failed identification');
  await step(to, reason);
}

/** The signer identity kept locally (for the visible signature), refreshed from a TSC answer. */
export function refreshedSigner(ctx: OptimizerContext, r: RequestRecord, o: TscRequestObject): SignerIdentity {
  return signerFrom(o, signerOf(ctx, r));
}
