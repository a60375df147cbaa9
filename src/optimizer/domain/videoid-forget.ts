/**
 * Deletion of a request's VideoID evidence (blobs and sealed data), recorded in the TSC audit with
 * the names, SHA-256 and sizes of what was deleted. Used by the RAO's DELETE /videoid/{id}/evidences
 * and by DELETE /request/{pk}, which removes the request's folder (evidence included).
 */
import type { OptimizerContext } from './context.js';
import type { RaoCredentials, RequestRecord } from './ports.js';
import type { EvidenceName, MediaItem, VideoIdRecord } from './videoid-ports.js';
import { mediaKey } from './videoid-rules.js';
import { withVideoIdLock } from './videoid.js';

/** Deletes every evidence item of `v`; returns how many there were. */
export async function dropEvidence(ctx: OptimizerContext, r: RequestRecord, v: VideoIdRecord, creds: RaoCredentials): Promise<number> {
  const names = Object.keys(v.items) as EvidenceName[];
  if (names.length === 0) return 0;
  await ctx.videoid.tsc.recordEvidence(creds, r.pk, 'deleted', names.map((n) => ({ name: n, sha256: v.items[n]!.sha256, size: v.items[n]!.size })));
  for (const n of names) if (v.items[n]!.ext) await ctx.blobs.delete(mediaKey(r.pk, n as MediaItem, v.items[n]!.ext));
  await ctx.blobs.deletePrefix(`${r.pk}/videoid`);
  await ctx.videoid.store.update(r.pk, { items: {}, dataSealed: null, evidenceDeletedAt: ctx.clock.now(), updatedAt: ctx.clock.now() });
  return names.length;
}

/**
 * DELETE /request/{pk}: the request's folder goes away with its evidence. Records the deletion in
 * the TSC audit (best effort: the request is being removed either way) and forgets the
 * videoid_pk map entry.
 *
 * Under the request's VideoID lock, like every evidence call: an upload that passed its status
 * check before the cancellation would otherwise move its file into `<pk>/videoid/` after the
 * folder was removed, leaving evidence on disk that no record names. Holding the lock, the upload
 * finishes first and its file is deleted here; once the record is gone, later uploads find nothing (404).
 */
export async function forgetVideoId(ctx: OptimizerContext, r: RequestRecord, creds: RaoCredentials): Promise<void> {
  if (!(await ctx.videoid.store.byRequestPk(r.pk))) return;
  await withVideoIdLock(ctx, r.pk, async () => {
    const v = await ctx.videoid.store.byRequestPk(r.pk);
    if (!v) return;
    if (Object.keys(v.items).length) await dropEvidence(ctx, r, v, creds).catch(() => {});
    // Whatever the audit call did, no evidence file outlives the record.
    await ctx.blobs.deletePrefix(`${r.pk}/videoid`);
    await ctx.videoid.store.delete(r.pk);
  });
}
