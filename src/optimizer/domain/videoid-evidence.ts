/**
 * VideoID evidence (oneshot-api.md §1.7 #33-#34): the external provider's JSON evidence and video,
 * and the hosted page's captures, all land here. Media are streamed to a staging blob (size-capped,
 * SHA-256 on the way), their type is sniffed from the bytes (JPEG/PNG images, WebM/MP4 video) and
 * their structure checked before anything is kept. Then, under the request's lock:
 *   identity data → the TSC (PUT; its validation answers 400 and nothing is kept),
 *   item names + SHA-256 → the TSC audit log, media committed to `<pk>/videoid/<item>.<ext>`,
 *   JSON evidence sealed in the record, and the status moved:
 *   VIDEOERROR (failure) | VIDEOREVIEW (complete) | VIDEOINCOMPLETE (partial).
 * A corrupt upload (recognised type, broken structure) is not kept: the request becomes VIDEOERROR
 * and the call answers 422. Anything else malformed is a 4xx that changes nothing.
 */
import { createHash } from 'node:crypto';
import { AppError } from '../../shared/errors.js';
import type { OptimizerContext } from './context.js';
import type { ApiGen, RequestRecord, RequestStatus, StagedBlob } from './ports.js';
import { raoOf } from './requests.js';
import { moveVideoStatus, recordStatus, refreshedSigner, resolveVideoId, withVideoIdLock } from './videoid.js';
import { parseEvidences } from './videoid-evidence-data.js';
import { mediaProblem, sniffImage, sniffVideo, type MediaType } from './videoid-media.js';
import type { EvidenceData, EvidenceMeta, EvidenceName, ImageItem, MediaItem, VideoIdRecord } from './videoid-ports.js';
import { evaluate, mediaKey, videoIdSettings } from './videoid-rules.js';

/** Statuses in which evidence may still arrive. */
export const OPEN_STATUSES: readonly RequestStatus[] = ['VIDEOPENDING', 'VIDEOINCOMPLETE', 'VIDEOERROR'];

export { mediaKey };
export const dataAad = (pk: number) => `videoid:${pk}:evidence`;

export function assertOpen(r: RequestRecord): void {
  if (OPEN_STATUSES.includes(r.status)) return;
  const why = r.status === 'VIDEOREVIEW' ? ' (the evidence is complete and waiting for the RAO review)' : '';
  throw new AppError('REQ_ERR_ILLEGAL_TRANSITION', `Invalid request status: ${r.status}${why}`);
}

export interface MediaUpload {
  item: MediaItem;
  staged: StagedBlob;
  type: MediaType;
}

export interface StagedMedia extends MediaUpload {
  /** Why a recognised file is unusable (truncated, broken structure), or null. */
  problem: string | null;
}

async function* once(bytes: Uint8Array): AsyncIterable<Uint8Array> {
  yield bytes;
}

/** Streams one upload to staging and checks its type (415) and size (413); reports structural problems. */
export async function stageMedia(
  ctx: OptimizerContext,
  item: MediaItem,
  input: AsyncIterable<Uint8Array> | Uint8Array,
  declaredMime = 'unknown',
): Promise<StagedMedia> {
  const video = item === 'video';
  const max = video ? ctx.videoid.maxVideoBytes : ctx.videoid.maxImageBytes;
  const staged = await ctx.blobs.stage(input instanceof Uint8Array ? once(input) : input, { maxBytes: max });
  try {
    if (staged.truncated) throw new AppError('VIDEOID_ERR_MEDIA_TOO_LARGE', `${item} is too large: the limit is ${max} bytes`);
    if (staged.size === 0) throw new AppError('VIDEOID_ERR_INVALID_EVIDENCE', `${item} is empty`);
    const type = video ? sniffVideo(staged.head) : sniffImage(staged.head);
    if (!type) {
      throw new AppError('VIDEOID_ERR_UNSUPPORTED_MEDIA', video
        ? `Unsupported video type: ${declaredMime.slice(0, 64)} (send WebM or MP4)`
        : `Unsupported image type for ${item}: ${declaredMime.slice(0, 64)} (send JPEG or PNG)`);
    }
    const src = await staged.openSource();
    let problem: string | null;
    try {
      problem = await mediaProblem(src, type);
    } finally {
      await src.close();
    }
    return { item, staged, type, problem };
  } catch (e) {
    await staged.discard();
    throw e;
  }
}

const canonical = (v: unknown) => JSON.stringify(v, (_k, x) =>
  x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : 1))) : x);

function dataMeta(value: unknown, at: string): EvidenceMeta {
  const json = canonical(value);
  return { sha256: createHash('sha256').update(json, 'utf8').digest('hex'), size: Buffer.byteLength(json), mime: 'application/json', ext: '', at };
}

export function openData(ctx: OptimizerContext, v: VideoIdRecord): EvidenceData {
  return v.dataSealed ? (JSON.parse(ctx.secrets.open(v.dataSealed, dataAad(v.requestPk))) as EvidenceData) : {};
}

const IDENTITY_TO_TSC = ['given_name', 'surname_1', 'surname_2', 'serial_number', 'id_document_type', 'id_document_country'];

export interface EvidenceChange {
  media?: MediaUpload[];
  data?: Partial<EvidenceData>;
  /** A rejected upload's problem: the request fails (VIDEOERROR) and nothing of this call is kept. */
  corrupt?: string;
}

export interface EvidenceOutcome {
  status: RequestStatus;
  failure: string | null;
  missing: EvidenceName[];
}

/** Applies one evidence call to the request (see the file comment); discards staged media it does not keep. */
export async function applyEvidence(ctx: OptimizerContext, requestPk: number, change: EvidenceChange): Promise<EvidenceOutcome> {
  const media = change.media ?? [];
  let committed = false;
  try {
    return await withVideoIdLock(ctx, requestPk, async () => {
      const r = await ctx.requests.get(requestPk);
      const v = await ctx.videoid.store.byRequestPk(requestPk);
      if (!r || !v) throw new AppError('VIDEOID_ERR_NOT_FOUND', 'Request not found');
      assertOpen(r);
      const now = ctx.clock.now();
      const settings = videoIdSettings(await ctx.settings.read());

      if (change.corrupt !== undefined) {
        await ctx.videoid.store.update(requestPk, { failure: change.corrupt, updatedAt: now });
        await moveVideoStatus(ctx, r, 'VIDEOERROR', change.corrupt.slice(0, 500));
        return { status: r.status, failure: change.corrupt, missing: [] };
      }

      const creds = raoOf(ctx, r);
      const data: EvidenceData = { ...openData(ctx, v), ...change.data };
      const identity = change.data?.ocr_data ?? change.data?.identity;
      if (identity) {
        const patch = Object.fromEntries(IDENTITY_TO_TSC.filter((f) => identity[f] !== undefined).map((f) => [f, identity[f]]));
        const o = await ctx.tsc.updateRequest(creds, requestPk, patch);
        await recordStatus(ctx, r, o.status, refreshedSigner(ctx, r, o));
      }

      const at = now.toISOString();
      const items: VideoIdRecord['items'] = { ...v.items };
      const audit: { name: string; sha256: string; size: number }[] = [];
      for (const m of media) {
        items[m.item] = { sha256: m.staged.sha256, size: m.staged.size, mime: m.type.mime, ext: m.type.ext, at };
      }
      for (const [name, value] of Object.entries(change.data ?? {})) {
        if (value !== undefined) items[name as EvidenceName] = dataMeta(value, at);
      }
      for (const name of [...media.map((m) => m.item), ...Object.keys(change.data ?? {})] as EvidenceName[]) {
        const meta = items[name];
        if (meta) audit.push({ name, sha256: meta.sha256, size: meta.size });
      }
      // The audit records what was received before it is kept (a failure after this is retried by the next call).
      if (audit.length) await ctx.videoid.tsc.recordEvidence(creds, requestPk, 'uploaded', audit);

      for (const m of media) {
        const old = v.items[m.item];
        if (old && old.ext !== m.type.ext) await ctx.blobs.delete(mediaKey(requestPk, m.item, old.ext));
        await m.staged.commit(mediaKey(requestPk, m.item, m.type.ext));
      }
      committed = true;

      const { missing, failure } = evaluate({ mode: v.mode, items }, data, settings.minSimilarity);
      await ctx.videoid.store.update(requestPk, {
        items, dataSealed: ctx.secrets.seal(JSON.stringify(data), dataAad(requestPk)), failure, evidenceDeletedAt: null, updatedAt: now,
      });
      const target: RequestStatus = failure ? 'VIDEOERROR' : missing.length ? 'VIDEOINCOMPLETE' : 'VIDEOREVIEW';
      await moveVideoStatus(ctx, r, target, failure ?? undefined);
      if (target === 'VIDEOREVIEW' && v.linkHash && !v.linkUsedAt) await ctx.videoid.store.update(requestPk, { linkUsedAt: now });
      return { status: r.status, failure, missing };
    });
  } finally {
    if (!committed) await Promise.all(media.map((m) => m.staged.discard().catch(() => {})));
  }
}

const preferOf = (gen: ApiGen): 'videoid' | 'request' => (gen === 'C' ? 'videoid' : 'request');

/** POST /videoid/{id}/evidences (external mode): acceptance, images, OCR data, security checks, similarity. */
export async function uploadEvidences(ctx: OptimizerContext, gen: ApiGen, rawId: string | undefined, body: unknown): Promise<EvidenceOutcome> {
  const { r } = await resolveVideoId(ctx, rawId, preferOf(gen));
  assertOpen(r);
  const p = parseEvidences(body, ctx.videoid.maxImageBytes);
  const staged: StagedMedia[] = [];
  try {
    for (const [item, bytes] of Object.entries(p.images) as [ImageItem, Uint8Array][]) staged.push(await stageMedia(ctx, item, bytes));
  } catch (e) {
    await Promise.all(staged.map((s) => s.staged.discard()));
    throw e;
  }
  const broken = staged.find((s) => s.problem !== null);
  if (broken) {
    await Promise.all(staged.map((s) => s.staged.discard()));
    return failCorrupt(ctx, r.pk, `${broken.item}: ${broken.problem}`);
  }
  const data: Partial<EvidenceData> = {};
  if (p.acceptance) data.acceptance = p.acceptance;
  if (p.ocr) data.ocr_data = p.ocr;
  if (p.checks) data.security_checks = p.checks;
  if (p.similarity !== undefined) data.similarity_level = p.similarity;
  return applyEvidence(ctx, r.pk, { media: staged, data });
}

/** Records a corrupt upload (VIDEOERROR) and answers 422. */
export async function failCorrupt(ctx: OptimizerContext, pk: number, problem: string): Promise<never> {
  const out = await applyEvidence(ctx, pk, { corrupt: problem });
  throw new AppError('VIDEOID_ERR_CORRUPT_MEDIA', `Corrupt media: ${problem}; the request is now ${out.status}`);
}

/** A streamed media upload (external video, or a hosted-page capture). */
export async function uploadMedia(
  ctx: OptimizerContext,
  pk: number,
  item: MediaItem,
  stream: AsyncIterable<Uint8Array>,
  declaredMime: string,
): Promise<EvidenceOutcome> {
  const s = await stageMedia(ctx, item, stream, declaredMime);
  if (s.problem !== null) {
    await s.staged.discard();
    return failCorrupt(ctx, pk, `${item}: ${s.problem}`);
  }
  return applyEvidence(ctx, pk, { media: [s] });
}

/** POST /videoid/{id}/evidences/video (Gen B) and /videoid/{id}/video (Gen C). */
export async function uploadVideo(
  ctx: OptimizerContext,
  gen: ApiGen,
  rawId: string | undefined,
  file: { stream: AsyncIterable<Uint8Array>; mimetype: string } | null,
): Promise<EvidenceOutcome> {
  const { r } = await resolveVideoId(ctx, rawId, preferOf(gen));
  assertOpen(r);
  if (!file) throw new AppError('API_ERR_MISSING_PARAMETER', "Missing required parameter: 'video'");
  return uploadMedia(ctx, r.pk, 'video', file.stream, file.mimetype);
}
