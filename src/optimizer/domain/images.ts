/**
 * Images for visible signatures (oneshot-api.md §1.6): PNG only, global to the Optimizer.
 * `size` in listings is [width, height] read from the IHDR chunk (PNG spec §11.2.2).
 */
import { AppError } from '../../shared/errors.js';
import { decodePng } from '../../lib/pades/appearance/png.js';
import { dashedUid } from '../../shared/ids.js';
import type { OptimizerContext } from './context.js';
import type { DocumentDownload, UploadPart } from './documents.js';
import { echo, parseUid } from './ids.js';
import type { ApiGen, StagedBlob } from './ports.js';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
export const IMAGE_MAX_BYTES = 10 * 1024 * 1024;
export const imageKey = (uid: string) => `_images/${uid}.png`;

/** Width and height from a PNG's IHDR, or null when the bytes are not a PNG. */
export function pngSize(head: Uint8Array): [number, number] | null {
  const b = Buffer.from(head);
  if (b.length < 24 || !b.subarray(0, 8).equals(PNG_SIGNATURE) || b.toString('latin1', 12, 16) !== 'IHDR') return null;
  const w = b.readUInt32BE(16);
  const h = b.readUInt32BE(20);
  return w > 0 && h > 0 ? [w, h] : null;
}

export async function uploadImage(ctx: OptimizerContext, gen: ApiGen, parts: AsyncIterable<UploadPart>): Promise<string> {
  let staged: { blob: StagedBlob; part: UploadPart } | null = null;
  try {
    for await (const part of parts) {
      if (!part.stream) continue;
      if (part.fieldName !== 'image' || staged) {
        // Drain parts we do not use so the multipart stream can go on.
        for await (const _ of part.stream) void _;
        continue;
      }
      staged = { blob: await ctx.blobs.stage(part.stream, { maxBytes: IMAGE_MAX_BYTES }), part };
    }
    if (!staged) throw new AppError('API_ERR_MISSING_PARAMETER', "Missing required parameter: 'image'");
    const { blob, part } = staged;
    if (blob.truncated || part.truncated?.()) throw new AppError('DOC_ERR_TOO_LARGE', `Image too large: the limit is ${IMAGE_MAX_BYTES} bytes`);
    const size = pngSize(blob.head);
    if (!size) throw new AppError('IMG_ERR_UNSUPPORTED_TYPE', `Image file type not supported: ${echo(part.mimetype || 'unknown')}`);
    // Decode it now (CRCs, zlib data, size limits) so a broken image fails here, not at /sign.
    const src = await blob.openSource();
    try {
      decodePng(await src.read(0, src.size));
    } finally {
      await src.close();
    }
    // Both generations document dashed UUIDs for images (oneshot-api.md §1.6).
    void gen;
    const uid = dashedUid();
    await blob.commit(imageKey(uid));
    await ctx.images.insert({
      uid, filename: (part.filename ?? 'image.png').replace(/[\\/\x00-\x1f]/g, '_').slice(0, 255), bytes: blob.size,
      width: size[0], height: size[1], uploadedAt: ctx.clock.now(),
    });
    return uid;
  } catch (e) {
    await staged?.blob.discard().catch(() => {});
    throw e;
  }
}

const notFoundText = (uid: string) => `Image with uid ${uid} not found`;

export async function getImage(ctx: OptimizerContext, rawUid: string | undefined): Promise<DocumentDownload> {
  if (!rawUid) throw new AppError('API_ERR_MISSING_PARAMETER', 'Missing required parameters: Image uid not specified');
  const uid = parseUid(rawUid, 'IMG_ERR_NOT_FOUND', notFoundText);
  const rec = await ctx.images.get(uid);
  const blob = rec ? await ctx.blobs.openRead(imageKey(uid)) : null;
  if (!rec || !blob) throw new AppError('IMG_ERR_NOT_FOUND', notFoundText(uid));
  return { ...blob, mime: 'image/png', filename: rec.filename };
}

/** PNG bytes of an image for an appearance, or null when unknown. */
export async function imageBytes(ctx: OptimizerContext, uid: string): Promise<Uint8Array | null> {
  return (await ctx.images.get(uid)) ? ctx.blobs.getBytes(imageKey(uid)) : null;
}

export async function deleteImage(ctx: OptimizerContext, rawUid: string | undefined): Promise<void> {
  if (!rawUid) throw new AppError('API_ERR_MISSING_PARAMETER', 'Missing required parameters: No image uid specified');
  const uid = parseUid(rawUid, 'IMG_ERR_NOT_FOUND', (u) => `${notFoundText(u)} on disk`);
  if (!(await ctx.images.delete(uid))) throw new AppError('IMG_ERR_NOT_FOUND', `${notFoundText(uid)} on disk`);
  await ctx.blobs.delete(imageKey(uid));
}

export interface ImageListEntry {
  upload_date: string;
  ext: string;
  size: [number, number];
  mime: string;
  filename: string;
}

export async function listImages(ctx: OptimizerContext): Promise<Record<string, ImageListEntry>> {
  const out: Record<string, ImageListEntry> = {};
  for (const i of await ctx.images.list()) {
    // "2021-06-02 02:12:16.369317" (oneshot-api.md §1.6 #30)
    const d = i.uploadedAt.toISOString().replace('T', ' ').replace('Z', '000');
    out[i.uid] = { upload_date: d, ext: '.png', size: [i.width, i.height], mime: 'image/png', filename: i.filename };
  }
  return out;
}

export async function deleteAllImages(ctx: OptimizerContext): Promise<void> {
  await ctx.images.deleteAll();
  await ctx.blobs.deletePrefix('_images');
}


