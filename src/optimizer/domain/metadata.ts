/**
 * Metadata blobs (oneshot-api.md §1.2): base64 values with an OID, referenced from /sign by uid
 * and added to each signature as a signed attribute (value: DER OCTET STRING of the bytes).
 */
import { AppError } from '../../shared/errors.js';
import { hexUid } from '../../shared/ids.js';
import type { OptimizerContext } from './context.js';
import { parseUid } from './ids.js';

const NOT_FOUND = 'Metadata not found on disk';
const OID_RE = /^[0-2](\.(0|[1-9][0-9]*)){1,40}$/;
const B64_RE = /^[A-Za-z0-9+/]+={0,2}$/;
/**
 * The value is signed as one DER OCTET STRING attribute value, which the TSC accepts up to 1024
 * bytes (docs/tsc-api.md): 1020 bytes of metadata plus the 4-byte header. Larger metadata could
 * be stored but never signed.
 */
export const METADATA_MAX_BYTES = 1020;

export async function uploadMetadata(ctx: OptimizerContext, body: unknown): Promise<string> {
  const o = body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
  if (typeof o.metadata !== 'string' || typeof o.metadata_oid !== 'string' || !o.metadata || !o.metadata_oid) {
    throw new AppError('API_ERR_MISSING_PARAMETER', 'Missing required parameters');
  }
  const b64 = o.metadata.replace(/\s+/g, '');
  if (b64.length % 4 !== 0 || !B64_RE.test(b64)) throw new AppError('API_ERR_INVALID_PARAMETER', 'Invalid metadata: not base64');
  if (Buffer.from(b64, 'base64').length > METADATA_MAX_BYTES) throw new AppError('API_ERR_INVALID_PARAMETER', `Invalid metadata: larger than ${METADATA_MAX_BYTES} bytes`);
  if (!OID_RE.test(o.metadata_oid)) throw new AppError('API_ERR_INVALID_PARAMETER', 'Invalid metadata_oid: not an OID');
  const uid = hexUid();
  await ctx.metadata.insert({ uid, oid: o.metadata_oid, metadata: b64, createdAt: ctx.clock.now() });
  return uid;
}

export async function listMetadata(ctx: OptimizerContext): Promise<Record<string, { oid: string; metadata: string }>> {
  const all = await ctx.metadata.list();
  if (all.length === 0) throw new AppError('META_ERR_NOT_FOUND', NOT_FOUND);
  return Object.fromEntries(all.map((m) => [m.uid, { oid: m.oid, metadata: m.metadata }]));
}

export async function getMetadata(ctx: OptimizerContext, rawUid: string): Promise<{ oid: string; metadata: string }> {
  const uid = parseUid(rawUid, 'META_ERR_NOT_FOUND', () => NOT_FOUND);
  const m = await ctx.metadata.get(uid);
  if (!m) throw new AppError('META_ERR_NOT_FOUND', NOT_FOUND);
  return { oid: m.oid, metadata: m.metadata };
}

export async function deleteMetadata(ctx: OptimizerContext, rawUid: string): Promise<void> {
  const uid = parseUid(rawUid, 'META_ERR_NOT_FOUND', () => NOT_FOUND);
  if (!(await ctx.metadata.delete(uid))) throw new AppError('META_ERR_NOT_FOUND', NOT_FOUND);
}

export async function deleteAllMetadata(ctx: OptimizerContext): Promise<void> {
  await ctx.metadata.deleteAll();
}
