/**
 * RAO review of a VideoID request (oneshot-api.md §1.7 #35-#37, B-first validate, Gen A
 * pl_approve/download): approve (→ ENROLLREADY), refuse with a reason (→ CANCELLED), the legacy
 * 2-step validate (VIDEOREVIEW → CREATED, then approve), the evidence for the review (summary,
 * items, video download) and its deletion by the RAO once the review is decided.
 */
import { AppError, isAppError } from '../../shared/errors.js';
import type { OptimizerContext } from './context.js';
import type { ApiGen, RaoCredentials, RequestStatus } from './ports.js';
import { requireRequest, type Fields } from './requests.js';
import { resolveCredentials } from './tokens.js';
import { recordStatus, refreshedSigner, resolveVideoId, withVideoIdLock } from './videoid.js';
import { openData } from './videoid-evidence.js';
import { dropEvidence } from './videoid-forget.js';
import { IMAGE_ITEMS, type EvidenceName, type MediaItem, type VideoIdRecord } from './videoid-ports.js';
import { evaluate, mediaKey, videoIdSettings } from './videoid-rules.js';

const preferOf = (gen: ApiGen): 'videoid' | 'request' => (gen === 'C' ? 'videoid' : 'request');

/** RAO credentials of a review call (token or username/password/pin); the One-Shot texts for 400/403. */
async function reviewer(ctx: OptimizerContext, body: unknown): Promise<RaoCredentials> {
  const input = body && typeof body === 'object' && !Array.isArray(body) ? (body as Fields) : {};
  return (await resolveCredentials(ctx, input)).creds;
}

/** The TSC says "Invalid RAO Credentials"; the Gen B approve/refuse/validate docs say "Invalid RAO credentials". */
async function asReviewer<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (isAppError(e) && e.code === 'RAO_ERR_INVALID_CREDENTIALS') throw new AppError(e.code, 'Invalid RAO credentials');
    throw e;
  }
}

async function linkDone(ctx: OptimizerContext, pk: number): Promise<void> {
  const v = await ctx.videoid.store.byRequestPk(pk);
  if (v?.linkHash && !v.linkUsedAt) await ctx.videoid.store.update(pk, { linkUsedAt: ctx.clock.now() });
}

/**
 * Approve (POST /requests/{pk}/approve, /request/{pk}/approve, /requests/{pk}/pl_approve by
 * request_pk; /videoid/{id}/approve by either id): VIDEOREVIEW or CREATED → ENROLLREADY at the TSC
 * with the reviewer's credentials (PIN required). The local signer identity is refreshed from the
 * TSC (names from the identification or the RAO's corrections) for the visible signature.
 */
export async function approveRequest(ctx: OptimizerContext, gen: ApiGen, rawId: string | undefined, body: unknown, by: 'request' | 'videoid'): Promise<void> {
  const r = by === 'videoid'
    ? (await resolveVideoId(ctx, rawId, preferOf(gen))).r
    : await requireRequest(ctx, rawId, (pk) => `Request ${pk} not found`);
  const creds = await reviewer(ctx, body);
  await withVideoIdLock(ctx, r.pk, async () => {
    const o = await asReviewer(() => ctx.videoid.tsc.approveRequest(creds, r.pk));
    await recordStatus(ctx, r, o.status, refreshedSigner(ctx, r, o));
    await linkDone(ctx, r.pk);
  });
}

/** POST /videoid/{id}/refuse: the RAO refuses with a reason → CANCELLED (the evidence stays until deleted). */
export async function refuseVideoId(ctx: OptimizerContext, gen: ApiGen, rawId: string | undefined, body: unknown): Promise<void> {
  const { r } = await resolveVideoId(ctx, rawId, preferOf(gen));
  const creds = await reviewer(ctx, body);
  const raw = body && typeof body === 'object' ? (body as Fields).reason : undefined;
  const reason = typeof raw === 'string' ? raw.trim() : '';
  if (!reason) throw new AppError('VIDEOID_ERR_NO_REASON', 'No reason specified');
  if (reason.length > 500) throw new AppError('API_ERR_INVALID_PARAMETER', 'The reason must be at most 500 characters');
  await withVideoIdLock(ctx, r.pk, async () => {
    const o = await asReviewer(() => ctx.tsc.cancelRequest(creds, r.pk, reason));
    await recordStatus(ctx, r, o.status);
    await linkDone(ctx, r.pk);
  });
}

/** POST /videoid/{id}/validate (2-step mode, Gen B first version): VIDEOREVIEW → CREATED; approve follows. */
export async function validateVideoId(ctx: OptimizerContext, gen: ApiGen, rawId: string | undefined, body: unknown): Promise<void> {
  const { r } = await resolveVideoId(ctx, rawId, preferOf(gen));
  const creds = await reviewer(ctx, body);
  await withVideoIdLock(ctx, r.pk, async () => {
    const o = await asReviewer(() => ctx.videoid.tsc.setVideoStatus(creds, r.pk, 'CREATED', 'validated by the RAO (2-step mode)'));
    await recordStatus(ctx, r, o.status);
  });
}

// ---------------------------------------------------------------- evidence for the review

export interface EvidenceFile {
  stream: import('node:stream').Readable;
  size: number;
  mime: string;
  filename: string;
}

async function mediaFile(ctx: OptimizerContext, v: VideoIdRecord, item: MediaItem, notFound: string): Promise<EvidenceFile> {
  const meta = v.items[item];
  const f = meta ? await ctx.blobs.openRead(mediaKey(v.requestPk, item, meta.ext)) : null;
  if (!meta || !f) throw new AppError('VIDEOID_ERR_NOT_FOUND', notFound);
  return { stream: f.stream, size: f.size, mime: meta.mime, filename: `videoid-${v.requestPk}-${item}.${meta.ext}` };
}

/** GET /videoid/{id}/download/video, GET /download/video/{id} (Gen A), GET /videoid/{id}/video. */
export async function downloadVideo(ctx: OptimizerContext, gen: ApiGen, rawId: string | undefined): Promise<EvidenceFile> {
  const { v } = await resolveVideoId(ctx, rawId, preferOf(gen));
  return mediaFile(ctx, v, 'video', 'Video not found');
}

const MEDIA_ITEMS: readonly string[] = [...IMAGE_ITEMS, 'video'];

/** GET /videoid/{id}/evidences/{item}: one image (or the video) for the review. */
export async function downloadEvidenceItem(ctx: OptimizerContext, gen: ApiGen, rawId: string | undefined, item: string | undefined): Promise<EvidenceFile> {
  const { v } = await resolveVideoId(ctx, rawId, preferOf(gen));
  if (!MEDIA_ITEMS.includes(String(item))) throw new AppError('VIDEOID_ERR_NOT_FOUND', `Unknown evidence item (expected ${MEDIA_ITEMS.join(', ')})`);
  return mediaFile(ctx, v, item as MediaItem, `Evidence ${item} not found`);
}

export interface EvidenceSummary {
  videoid_pk: number;
  request_pk: number;
  mode: string;
  status: RequestStatus;
  link_expires_at: string | null;
  link_used: boolean;
  items: Record<string, { sha256: string; size: number; mime: string; uploaded_at: string }>;
  missing: EvidenceName[];
  failure: string | null;
  evidence_deleted_at: string | null;
  acceptance: Record<string, unknown> | null;
  identity: Record<string, string> | null;
  ocr_data: Record<string, string> | null;
  security_checks: Record<string, boolean> | null;
  similarity_level: number | null;
}

/** GET /videoid/{id}/evidences: what the RAO reviews (hashes, data evidence, what is missing, why it failed). */
export async function evidenceSummary(ctx: OptimizerContext, gen: ApiGen, rawId: string | undefined): Promise<EvidenceSummary> {
  const { v, r } = await resolveVideoId(ctx, rawId, preferOf(gen));
  const data = openData(ctx, v);
  const settings = videoIdSettings(await ctx.settings.read());
  return {
    videoid_pk: v.videoidPk, request_pk: v.requestPk, mode: v.mode, status: r.status,
    // The link itself cannot be shown again: only its hash is stored.
    link_expires_at: v.linkExpiresAt?.toISOString() ?? null,
    link_used: v.linkUsedAt !== null,
    items: Object.fromEntries(Object.entries(v.items).map(([k, m]) => [k, { sha256: m!.sha256, size: m!.size, mime: m!.mime, uploaded_at: m!.at }])),
    missing: v.evidenceDeletedAt ? [] : evaluate(v, data, settings.minSimilarity).missing,
    failure: v.failure,
    evidence_deleted_at: v.evidenceDeletedAt?.toISOString() ?? null,
    acceptance: data.acceptance ?? null,
    identity: data.identity ?? null,
    ocr_data: data.ocr_data ?? null,
    security_checks: data.security_checks ?? null,
    similarity_level: data.similarity_level ?? null,
  };
}

/** Statuses in which the evidence may be deleted: the review is decided, or the identification failed. */
const DELETABLE: readonly RequestStatus[] = ['ENROLLREADY', 'ISSUED', 'CANCELLED', 'CREATED', 'VIDEOERROR'];

/**
 * DELETE /videoid/{id}/evidences (our addition, docs/videoid.md): the RAO (token or credentials of
 * the request's registration authority) deletes every evidence item; the TSC audit records which
 * (names, SHA-256, sizes). Refused with 412 while the evidence is still to be reviewed.
 */
export async function deleteEvidence(ctx: OptimizerContext, gen: ApiGen, rawId: string | undefined, body: unknown): Promise<number> {
  const { r } = await resolveVideoId(ctx, rawId, preferOf(gen));
  const input = body && typeof body === 'object' && !Array.isArray(body) ? (body as Fields) : {};
  const { creds } = await resolveCredentials(ctx, input);
  return withVideoIdLock(ctx, r.pk, async () => {
    // Checks the credentials and that the request belongs to the RAO's registration authority.
    const o = await asReviewer(() => ctx.tsc.getRequest(creds, r.pk));
    if (o.status !== r.status) await recordStatus(ctx, r, o.status);
    if (!DELETABLE.includes(r.status)) {
      throw new AppError('VIDEOID_ERR_EVIDENCE_LOCKED', `Evidence can be deleted once the review is decided (approve, validate or refuse); the request is ${r.status}`);
    }
    const v = (await ctx.videoid.store.byRequestPk(r.pk))!;
    return dropEvidence(ctx, r, v, creds);
  });
}
