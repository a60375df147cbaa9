/**
 * Certificate requests: create, get, update, approve, cancel and the VideoID status changes
 * (issue 2 §3, DESIGN.md §3). Every state change commits together with its audit entry.
 * An RAO only reaches requests of its own registration authority.
 */
import { randomInt } from 'node:crypto';
import { AppError } from '../../../shared/errors.js';
import { appendAudit } from '../audit/audit-chain.js';
import type { TscDomainDeps } from '../context.js';
import type { IdentityData, RaoRecord, RequestRecord, RequestStatus } from '../model.js';
import type { RequestPatch, TscRepositories } from '../ports.js';
import { PERMISSION_DENIED_TEXT } from './rao-accounts.js';
import { collectIdentity, throwIfErrors, validateLanguage, validateProfile, type Errors, type IdentityInput } from './identity-validation.js';
import { EDITABLE_STATUSES, assertTransition, canTransition, transitionError } from './status-machine.js';
import { assertIdentityComplete, checkVideoIdRa, deferIdentity } from './videoid-policy.js';

export type RequestDeps = Pick<TscDomainDeps, 'store' | 'clock' | 'settings'>;

export interface CreateRequestInput extends IdentityInput {
  registration_authority?: unknown;
  profile?: unknown;
  communication_language?: unknown;
  videoid_mode?: unknown;
  approve?: unknown;
}

export interface UpdateRequestInput extends IdentityInput {
  profile?: unknown;
  communication_language?: unknown;
}

const actorOf = (rao: RaoRecord) => `rao:${rao.id}`;

export function requestNotFound(pk: number): AppError {
  return new AppError('REQ_ERR_NOT_FOUND', `Request ${pk} not found`);
}

/** Loads a request the RAO may see: unknown → 404, another RA's → 403. */
export async function loadForRao(deps: Pick<RequestDeps, 'store'>, rao: RaoRecord, pk: number): Promise<RequestRecord> {
  const rec = await deps.store.requests.get(pk);
  if (!rec) throw requestNotFound(pk);
  if (rec.registrationAuthority !== rao.registrationAuthority) throw new AppError('RAO_ERR_PERMISSION_DENIED', PERMISSION_DENIED_TEXT);
  return rec;
}

function truthy(v: unknown): boolean {
  return v === true || v === 1 || v === 'true' || v === '1';
}

function checkRa(rao: RaoRecord, v: unknown, errors: Errors): number {
  if (v === undefined || v === null || v === '') return rao.registrationAuthority;
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d{1,10}$/.test(v.trim()) ? Number(v) : NaN;
  if (!Number.isInteger(n) || n < 1) {
    (errors.registration_authority ??= []).push('registration_authority must be a positive integer');
    return rao.registrationAuthority;
  }
  // An RAO acts for its own registration authority only (issue 2 §3).
  if (n !== rao.registrationAuthority) throw new AppError('RAO_ERR_PERMISSION_DENIED', PERMISSION_DENIED_TEXT);
  return n;
}

/** A 7-digit scratchcard number like the RA's ('5039078'); it identifies the request on paper. */
function newScratchcard(): string {
  return String(randomInt(1_000_000, 10_000_000));
}

export async function createRequest(deps: RequestDeps, rao: RaoRecord, input: CreateRequestInput): Promise<RequestRecord> {
  const videoid = truthy(input.videoid_mode);
  if (videoid) await checkVideoIdRa(deps.store.raos, deps.settings.videoidRas, rao, input.registration_authority);
  const errors: Errors = {};
  const identity = collectIdentity(input, false, errors) as IdentityData;
  // VideoID: names and document number come from the identification (OCR, the signer, the RAO).
  if (videoid) deferIdentity(input, identity, errors);
  const profile = validateProfile(input.profile, errors);
  const language = validateLanguage(input.communication_language, errors);
  const ra = checkRa(rao, input.registration_authority, errors);
  throwIfErrors(errors);
  const approve = truthy(input.approve);
  if (videoid && approve) {
    throw new AppError('REQ_ERR_INVALID_FIELD', 'A VideoID request is approved after the video review, not at creation', {
      approve: ['approve cannot be combined with videoid_mode'],
    });
  }
  const now = deps.clock.now();
  const status: RequestStatus = videoid ? 'VIDEOPENDING' : approve ? 'ENROLLREADY' : 'CREATED';
  return deps.store.transaction(async (tx) => {
    const rec = await tx.requests.insert({
      ...identity,
      status,
      profile: profile!,
      registrationAuthority: ra,
      scratchcard: newScratchcard(),
      communicationLanguage: language!,
      videoidMode: videoid,
      registeringRaoId: rao.id,
      approvingRaoId: approve ? rao.id : null,
      createdAt: now,
      updatedAt: now,
    });
    await appendAudit(tx, deps.clock, {
      actor: actorOf(rao), action: 'request.created', requestPk: rec.pk,
      details: { status: videoid ? 'VIDEOPENDING' : 'CREATED', profile: rec.profile, registration_authority: ra },
    });
    if (approve) {
      await appendAudit(tx, deps.clock, { actor: actorOf(rao), action: 'request.approved', requestPk: rec.pk, details: { from: 'CREATED', to: 'ENROLLREADY' } });
    }
    return rec;
  });
}

export async function getRequest(deps: RequestDeps, rao: RaoRecord, pk: number): Promise<RequestRecord> {
  return loadForRao(deps, rao, pk);
}

/** Partial identity/profile update, allowed until the request is issued or cancelled. */
export async function updateRequest(deps: RequestDeps, rao: RaoRecord, pk: number, input: UpdateRequestInput): Promise<RequestRecord> {
  const current = await loadForRao(deps, rao, pk);
  const errors: Errors = {};
  const patch: RequestPatch = collectIdentity(input, true, errors);
  if (input.profile !== undefined) {
    const p = validateProfile(input.profile, errors);
    if (p) patch.profile = p;
  }
  if (input.communication_language !== undefined) {
    const l = validateLanguage(input.communication_language, errors);
    if (l) patch.communicationLanguage = l;
  }
  throwIfErrors(errors);
  const fields = Object.keys(patch);
  if (fields.length === 0) throw new AppError('API_ERR_MISSING_PARAMETER', 'Nothing to update', { fields: [] });
  if (!EDITABLE_STATUSES.includes(current.status)) {
    throw current.status === 'ISSUED'
      ? transitionError('ISSUED', 'ISSUED')
      : new AppError('REQ_ERR_ILLEGAL_TRANSITION', `Invalid request status: ${current.status}`, { status: current.status });
  }
  const now = deps.clock.now();
  return deps.store.transaction(async (tx) => {
    const updated = await tx.requests.update(pk, { ...patch, updatedAt: now }, {
      statuses: EDITABLE_STATUSES, noClaimNewerThan: now.getTime() - deps.settings.signingClaimTimeoutMs,
    });
    if (!updated) throw await concurrentChange(tx, pk, 'update');
    await appendAudit(tx, deps.clock, { actor: actorOf(rao), action: 'request.updated', requestPk: pk, details: { fields: fields.map(snake) } });
    return updated;
  });
}

const snake = (k: string) => k.replace(/([A-Z])/g, '_$1').replace(/(\d)/, '_$1').toLowerCase();

/** Why a compare-and-set did not apply: the status moved on, or a sign call holds the request. */
async function concurrentChange(repos: Pick<TscRepositories, 'requests'>, pk: number, what: string): Promise<AppError> {
  const now = await repos.requests.get(pk);
  if (!now) return requestNotFound(pk);
  if (now.status === 'ISSUED') return transitionError('ISSUED', 'ISSUED');
  if (now.signingSince !== null) return new AppError('REQ_ERR_BUSY', 'The request is being signed; try again later', { status: now.status });
  return new AppError('REQ_ERR_ILLEGAL_TRANSITION', `Invalid request status: ${now.status} (${what})`, { status: now.status });
}

/** Moves a request along the status machine (approve, cancel, VideoID steps). */
export async function transitionRequest(
  deps: RequestDeps,
  rao: RaoRecord,
  pk: number,
  to: RequestStatus,
  opts: { action: string; reason?: string | undefined },
): Promise<RequestRecord> {
  const current = await loadForRao(deps, rao, pk);
  if (to === 'ISSUED') throw transitionError(current.status, to); // only the sign call issues
  assertTransition(current.status, to);
  const now = deps.clock.now();
  const patch: RequestPatch = { status: to, updatedAt: now };
  if (to === 'ENROLLREADY') patch.approvingRaoId = rao.id;
  if (opts.reason !== undefined) patch.statusReason = opts.reason.slice(0, 500);
  return deps.store.transaction(async (tx) => {
    const updated = await tx.requests.update(pk, patch, {
      statuses: [current.status], noClaimNewerThan: now.getTime() - deps.settings.signingClaimTimeoutMs,
    });
    if (!updated) {
      const again = await tx.requests.get(pk);
      if (again && again.status !== current.status && !canTransition(again.status, to)) throw transitionError(again.status, to);
      throw await concurrentChange(tx, pk, opts.action);
    }
    await appendAudit(tx, deps.clock, {
      actor: actorOf(rao), action: opts.action, requestPk: pk,
      details: { from: current.status, to, with_reason: opts.reason !== undefined },
    });
    return updated;
  });
}

export async function approveRequest(deps: RequestDeps, rao: RaoRecord, pk: number): Promise<RequestRecord> {
  const current = await loadForRao(deps, rao, pk);
  // A VideoID request may still lack the names or document number the certificate needs.
  if (canTransition(current.status, 'ENROLLREADY')) assertIdentityComplete(current);
  return transitionRequest(deps, rao, pk, 'ENROLLREADY', { action: 'request.approved' });
}

export const cancelRequest = (deps: RequestDeps, rao: RaoRecord, pk: number, reason?: string) =>
  transitionRequest(deps, rao, pk, 'CANCELLED', { action: 'request.cancelled', reason });

/** Statuses the Optimizer may set through POST …/status (VideoID steps). */
export const VIDEO_STATUSES: readonly RequestStatus[] = ['VIDEOPENDING', 'VIDEOINCOMPLETE', 'VIDEOREVIEW', 'VIDEOERROR', 'CREATED'];

export async function setVideoStatus(deps: RequestDeps, rao: RaoRecord, pk: number, status: string, reason?: string): Promise<RequestRecord> {
  if (!(VIDEO_STATUSES as readonly string[]).includes(status)) {
    throw new AppError('REQ_ERR_INVALID_FIELD', `status must be one of ${VIDEO_STATUSES.join(', ')}; use approve/cancel for the others`, {
      status: [`Valid options are ${VIDEO_STATUSES.join(', ')}`],
    });
  }
  return transitionRequest(deps, rao, pk, status as RequestStatus, { action: 'request.video_status', reason });
}
