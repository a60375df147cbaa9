/**
 * Signature requests (oneshot-api.md §1.4): the TSC creates and approves them (ENROLLREADY);
 * the Optimizer keeps a local record (pk from the TSC, the sealed RAO credentials that made it,
 * async flags, a mirror of the status) and a blob folder for its documents.
 */
import { AppError, isAppError } from '../../shared/errors.js';
import { ACTIVE_SIGN_JOB_STATES } from './async-ports.js';
import type { OptimizerContext } from './context.js';
import { echo, parsePk } from './ids.js';
import type { ApiGen, RaoCredentials, RequestRecord, RequestStatus, TscRequestObject } from './ports.js';
import { withRequestLock } from './request-lock.js';
import { forgetVideoId } from './videoid-forget.js';
import { resolveCredentials, resolveEnvironment } from './tokens.js';
import { emitStatusChange } from './webhooks.js';

export type Fields = Record<string, unknown>;

export const ID_DOCUMENT_TYPES = ['IDC', 'PAS', 'PNO', 'TIN', 'CI', 'CE'];
const IDENTITY_FIELDS = [
  'given_name', 'surname_1', 'surname_2', 'id_document_type', 'id_document_country', 'serial_number', 'email',
  'mobile_phone_number', 'communication_language', 'residence', 'residence_city', 'residence_postal_code',
  'residence_address', 'special_conditions',
];

function text(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (typeof v !== 'string') throw new AppError('API_ERR_INVALID_PARAMETER', 'Invalid parameter: expected a string');
  const t = v.trim();
  return t === '' ? undefined : t;
}

/**
 * A request field's text. None of them is valid beyond 512 characters (the TSC's bound, docs/tsc-api.md):
 * refused here as a field error rather than with the TSC's wire-schema text ("body/given_name must NOT…").
 */
const FIELD_MAX = 512;
function field(input: Fields, f: string): string | undefined {
  const v = text(input[f]);
  if (v !== undefined && v.length > FIELD_MAX) {
    const msg = `${f} must be at most ${FIELD_MAX} characters`;
    throw new AppError('REQ_ERR_INVALID_FIELD', msg, { [f]: [msg] });
  }
  return v;
}

export function flag(v: unknown): boolean {
  return v === true || v === 1 || (typeof v === 'string' && /^(true|1|yes|on)$/i.test(v.trim()));
}

export interface SignerIdentity {
  given_name: string;
  surname_1: string;
  surname_2?: string;
  email: string;
  serial_number?: string;
  id_document_type?: string;
  id_document_country?: string;
}

/** Loads a live request or answers with the route's documented 404 text. */
export async function requireRequest(
  ctx: OptimizerContext,
  rawPk: string | number | undefined,
  notFound: (pk: string) => string,
): Promise<RequestRecord> {
  const pk = parsePk(rawPk, notFound);
  const r = await ctx.requests.get(pk);
  if (!r) throw new AppError('REQ_ERR_NOT_FOUND', notFound(String(pk)));
  return r;
}

export function raoOf(ctx: OptimizerContext, r: RequestRecord): RaoCredentials {
  return JSON.parse(ctx.secrets.open(r.raoSealed, `request:${r.pk}:rao`)) as RaoCredentials;
}

export function signerOf(ctx: OptimizerContext, r: RequestRecord): SignerIdentity {
  return JSON.parse(ctx.secrets.open(r.signerSealed, `request:${r.pk}:signer`)) as SignerIdentity;
}

/** `gen`: the API generation of the route, which also picks the callback's webhook payload shape. */
export async function createRequest(ctx: OptimizerContext, input: Fields, gen: ApiGen = 'C'): Promise<{ pk: number; asyncmode: boolean }> {
  const { creds, token } = await resolveCredentials(ctx, input);
  const env = await resolveEnvironment(ctx, input.env ?? token?.env);
  const settings = await ctx.settings.read();

  const body: Record<string, unknown> = {};
  for (const f of IDENTITY_FIELDS) {
    const v = field(input, f);
    if (v !== undefined) body[f] = v;
  }
  if (!body.mobile_phone_number) throw new AppError('API_ERR_MISSING_PARAMETER', 'Missing parameter: mobile_phone_number required');
  const missing = ['given_name', 'surname_1', 'email'].filter((f) => !body[f]);
  if (missing.length) {
    throw new AppError(
      'REQ_ERR_INVALID_FIELD',
      `Missing required parameters: ${missing.join(', ')}`,
      Object.fromEntries(missing.map((f) => [f, ['This field is required']])),
    );
  }
  if (body.id_document_type !== undefined && !ID_DOCUMENT_TYPES.includes(String(body.id_document_type))) {
    throw new AppError('REQ_ERR_INVALID_FIELD', `The id_document_type specified is not valid. Valid options are ${ID_DOCUMENT_TYPES.join(', ')}`);
  }
  const profile = text(input.profile) ?? (settings.request.default_profile || undefined);
  if (!profile) throw new AppError('API_ERR_MISSING_PARAMETER', "Missing required parameter: 'profile'");
  const raRaw = text(input.registration_authority) ?? (settings.request.default_ra || undefined) ?? token?.registrationAuthority ?? undefined;
  let ra: number | null = null;
  if (raRaw !== undefined) {
    if (!/^[0-9]{1,12}$/.test(String(raRaw))) throw new AppError('REQ_ERR_INVALID_FIELD', `Invalid registration_authority: ${echo(raRaw)}`);
    ra = Number(raRaw);
    body.registration_authority = ra;
  }
  body.profile = profile;
  body.approve = true;

  const useAsync = flag(input.useasync);
  const callback = text(input.callback) ?? null;
  if (callback !== null && !/^https?:\/\/[^\s]+$/.test(callback)) {
    throw new AppError('API_ERR_INVALID_PARAMETER', 'Invalid callback: must be an http(s) URL');
  }

  const created = await ctx.tsc.createRequest(creds, body);
  const signer: SignerIdentity = {
    given_name: String(body.given_name), surname_1: String(body.surname_1), email: String(body.email),
    ...(body.surname_2 ? { surname_2: String(body.surname_2) } : {}),
    ...(body.serial_number ? { serial_number: String(body.serial_number) } : {}),
    ...(body.id_document_type ? { id_document_type: String(body.id_document_type) } : {}),
    ...(body.id_document_country ? { id_document_country: String(body.id_document_country) } : {}),
  };
  const now = ctx.clock.now();
  await ctx.requests.insert({
    pk: created.pk,
    status: created.status,
    env,
    profile,
    registrationAuthority: ra ?? (typeof created.registration_authority === 'number' ? created.registration_authority : null),
    tokenUid: token?.uid ?? null,
    raoSealed: ctx.secrets.seal(JSON.stringify(creds), `request:${created.pk}:rao`),
    signerSealed: ctx.secrets.seal(JSON.stringify(signer), `request:${created.pk}:signer`),
    useAsync,
    callback,
    asyncStatus: useAsync ? asyncStatusOf(created.status) : null,
    createdAt: now,
    updatedAt: now,
    signedAt: null,
  });
  // Webhooks (docs/async.md): the TSC created the request and, in the classic flow, approved it.
  const init = { callbackFormat: gen, scratchcard: typeof created.scratchcard === 'string' ? created.scratchcard : null };
  if (created.status === 'ENROLLREADY') {
    await emitStatusChange(ctx, created.pk, 'CREATED', { init });
    await emitStatusChange(ctx, created.pk, 'ENROLLREADY');
  } else {
    await emitStatusChange(ctx, created.pk, created.status, { init });
  }
  return { pk: created.pk, asyncmode: useAsync };
}

export function asyncStatusOf(s: RequestStatus): string {
  switch (s) {
    case 'ENROLLREADY': return 'approved';
    case 'ISSUED': return 'signed';
    case 'CANCELLED': return 'cancelled';
    default: return s.toLowerCase();
  }
}

async function mirror(ctx: OptimizerContext, r: RequestRecord, o: TscRequestObject): Promise<void> {
  if (o.status !== r.status) {
    // While an async sign job runs, async/status is the job's: "signed" only once every file is
    // stored (docs/async.md), not when the TSC has signed and the files are still being filled.
    const job = r.useAsync ? await ctx.async.signJobs.get(r.pk) : null;
    const jobRuns = job !== null && ACTIVE_SIGN_JOB_STATES.includes(job.state);
    // The event first: a process dying before the mirror is updated leaves a difference the next
    // look records (once); updated first, mirror = TSC would hide the change and lose its event.
    await emitStatusChange(ctx, r.pk, o.status);
    await ctx.requests.update(r.pk, {
      status: o.status, updatedAt: ctx.clock.now(), ...(r.useAsync && !jobRuns ? { asyncStatus: asyncStatusOf(o.status) } : {}),
    });
  }
}

export async function getRequest(ctx: OptimizerContext, rawPk: string): Promise<TscRequestObject> {
  const r = await requireRequest(ctx, rawPk, () => 'Request not found. Make sure the upload directory is correct.');
  const o = await ctx.tsc.getRequest(raoOf(ctx, r), r.pk);
  await mirror(ctx, r, o);
  return o;
}

const UPDATABLE = [
  'given_name', 'surname_1', 'surname_2', 'birth_date', 'email', 'mobile_phone_number', 'serial_number',
  'registration_authority', 'profile', 'country_name', 'id_document_type', 'id_document_country',
];

export async function updateRequest(ctx: OptimizerContext, rawPk: string, input: unknown): Promise<void> {
  const r = await requireRequest(ctx, rawPk, (pk) => `Request ${pk} not found`);
  if (!input || typeof input !== 'object' || Array.isArray(input)) {
    throw new AppError('API_ERR_MISSING_PARAMETER', 'Missing required parameters');
  }
  const patch: Record<string, unknown> = {};
  for (const f of UPDATABLE) {
    const v = field(input as Fields, f);
    if (v !== undefined) patch[f] = f === 'registration_authority' && /^[0-9]+$/.test(v) ? Number(v) : v;
  }
  // Gen B's UpdateReqObject_VID names the id document's country `country_name` ("two-letters code
  // (ISO 3166-1 alpha-2)"; GET shows it next to id_document_country): it is that field.
  if (patch.id_document_country === undefined && typeof patch.country_name === 'string') patch.id_document_country = patch.country_name;
  if (Object.keys(patch).length === 0) throw new AppError('API_ERR_MISSING_PARAMETER', 'Missing required parameters');
  const o = await ctx.tsc.updateRequest(raoOf(ctx, r), r.pk, patch);
  // The local copy of the signer (appearance text, SUBJECT) follows what the TSC now holds.
  const signer = signerOf(ctx, r);
  for (const k of ['given_name', 'surname_1', 'surname_2', 'email', 'serial_number', 'id_document_type', 'id_document_country'] as const) {
    const v = typeof o[k] === 'string' ? (o[k] as string) : typeof patch[k] === 'string' ? (patch[k] as string) : undefined;
    if (v === undefined) continue;
    if (v === '' && k === 'surname_2') delete signer.surname_2;
    else if (v !== '') signer[k] = v;
  }
  // The event before the mirror, as in mirror(): updated first, a process dying in between would
  // leave mirror = TSC and the change would never be announced.
  if (o.status !== r.status) await emitStatusChange(ctx, r.pk, o.status);
  await ctx.requests.update(r.pk, {
    status: o.status,
    updatedAt: ctx.clock.now(),
    signerSealed: ctx.secrets.seal(JSON.stringify(signer), `request:${r.pk}:signer`),
    ...(typeof patch.profile === 'string' ? { profile: patch.profile } : {}),
  });
}

/**
 * DELETE /request/{pk}: cancels the request at the TSC when it is still open, then removes its
 * folder and local record ("Request directory removed successfully"). An issued or cancelled
 * request is only removed locally.
 */
export async function cancelRequest(ctx: OptimizerContext, rawPk: string): Promise<void> {
  const { pk } = await requireRequest(ctx, rawPk, (p) => `Request ${p} not found`);
  await withRequestLock(ctx, pk, async () => {
    const r = await requireRequest(ctx, pk, (p) => `Request ${p} not found`);
    if (r.status !== 'ISSUED' && r.status !== 'CANCELLED') {
      try {
        await ctx.tsc.cancelRequest(raoOf(ctx, r), r.pk, 'Cancelled through the Optimizer API');
        // Before the record goes: the outbox keeps the event after the request is removed.
        await emitStatusChange(ctx, r.pk, 'CANCELLED');
      } catch (e) {
        // Already final at the TSC (e.g. issued by another Optimizer): removing locally is still right.
        if (!(isAppError(e) && (e.code === 'REQ_ERR_ALREADY_ISSUED' || e.code === 'REQ_ERR_ILLEGAL_TRANSITION'))) throw e;
      }
    }
    await forgetVideoId(ctx, r, raoOf(ctx, r));
    await ctx.documents.deleteAll(r.pk);
    await ctx.requests.delete(r.pk);
    await ctx.blobs.deletePrefix(String(r.pk));
  });
}

export async function asyncStatus(ctx: OptimizerContext, rawPk: string): Promise<string> {
  const r = await requireRequest(ctx, rawPk, (pk) => `Request ${pk} not found. Make sure the upload directory is correct`);
  return r.useAsync ? r.asyncStatus ?? asyncStatusOf(r.status) : 'Unknown';
}

const DELIVERY = ['sms', 'whatsapp', 'email'];

export async function sendOtp(ctx: OptimizerContext, rawPk: string, body: unknown): Promise<void> {
  const r = await requireRequest(ctx, rawPk, (pk) => `Request ${pk} not found. Cannot send OTP secret`);
  const method = body && typeof body === 'object' ? text((body as Fields).delivery_method) : undefined;
  if (method !== undefined && !DELIVERY.includes(method)) {
    throw new AppError('API_ERR_INVALID_PARAMETER', `Invalid delivery_method: valid options are ${DELIVERY.join(', ')}`);
  }
  if (r.status !== 'ENROLLREADY') {
    throw new AppError('OTP_ERR_INVALID_STATUS', 'Error occured during OTP generation: Invalid request status');
  }
  try {
    await ctx.tsc.sendOtp(r.pk, method);
  } catch (e) {
    if (isAppError(e) && (e.code === 'OTP_ERR_THROTTLED' || e.code === 'OTP_ERR_INVALID_STATUS')) {
      throw new AppError(e.code, `Error occured during OTP generation: ${e.message}`, e.details);
    }
    throw e;
  }
}
