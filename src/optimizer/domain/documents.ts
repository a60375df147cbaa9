/**
 * Documents of a request (oneshot-api.md §1.5): streamed uploads (SHA-256 on the way, PDF-only,
 * size-capped, inspected before they are accepted), `hashfile` digests, listing, retrieval of the
 * original or signed file, deletion, and the service contract fetched from the TSC and kept.
 *
 * An upload call is all-or-nothing: every part is staged first; one bad part discards them all.
 */
import { AppError } from '../../shared/errors.js';
import { dashedUid } from '../../shared/ids.js';
import type { Readable } from 'node:stream';
import type { OptimizerContext } from './context.js';
import { parseHashfile } from './hashfile.js';
import { echo, parseUid } from './ids.js';
import type { DocumentRecord, HashSpec, RequestRecord, StagedBlob } from './ports.js';
import { withRequestLock } from './request-lock.js';
import { requireRequest } from './requests.js';

export interface UploadPart {
  fieldName: string;
  /** Present for file parts. */
  filename?: string;
  mimetype: string;
  stream?: AsyncIterable<Uint8Array>;
  /** Present for plain form fields. */
  value?: string;
  /** Whether the transport cut the file at its size limit (checked after the stream ends). */
  truncated?: () => boolean;
}

export interface UploadedDocument {
  uid: string;
  key: string;
  filename: string;
  digest: string;
}

const HASHFILE_MAX = 64 * 1024;
/** ISO 32000-1 §7.5.2 puts the header first; readers accept it within the first 1024 bytes. */
function looksLikePdf(head: Uint8Array): boolean {
  return Buffer.from(head).subarray(0, 1024).includes('%PDF-');
}

export const originalKey = (pk: number, uid: string) => `${pk}/${uid}.original`;
export const signedKey = (pk: number, uid: string) => `${pk}/${uid}.signed`;
export const CONTRACT_ORIGINAL = (pk: number) => `${pk}/contract.original`;
export const CONTRACT_SIGNED = (pk: number) => `${pk}/contract.signed`;

export function assertOpenForDocuments(r: RequestRecord): void {
  if (r.status === 'ISSUED') throw new AppError('REQ_ERR_ALREADY_ISSUED', 'Request already in ISSUED status');
  if (r.status === 'CANCELLED') throw new AppError('REQ_ERR_ILLEGAL_TRANSITION', 'Invalid request status: CANCELLED');
}

async function* bytesOf(s: string): AsyncIterable<Uint8Array> {
  yield Buffer.from(s, 'utf8');
}

export async function uploadDocuments(
  ctx: OptimizerContext,
  rawPk: string,
  parts: AsyncIterable<UploadPart>,
): Promise<UploadedDocument[]> {
  const notFound = (pk: string) => `Cannot upload document: Request ${pk} not found on disk`;
  const r = await requireRequest(ctx, rawPk, notFound);
  assertOpenForDocuments(r);
  const already = await ctx.documents.count(r.pk);
  const tooMany = () => new AppError('DOC_ERR_TOO_MANY', `Maximum number of document reached for Request ${r.pk}`);
  const staged: { blob: StagedBlob; rec: DocumentRecord }[] = [];
  try {
    for await (const part of parts) {
      const isHash = part.fieldName.toLowerCase().startsWith('hashfile');
      if (part.stream === undefined && !(isHash && part.value !== undefined)) continue; // other form fields
      if (staged.length >= ctx.limits.maxFilesPerCall) {
        throw new AppError('DOC_ERR_TOO_MANY', `Maximum number of documents per call is ${ctx.limits.maxFilesPerCall}`);
      }
      if (already + staged.length >= ctx.limits.maxDocumentsPerRequest) throw tooMany();
      const input = part.stream ?? bytesOf(part.value!);
      const blob = await ctx.blobs.stage(input, { maxBytes: isHash ? HASHFILE_MAX : ctx.limits.maxUploadBytes });
      const uid = dashedUid();
      const filename = (part.filename ?? (isHash ? 'hashfile.json' : 'document.pdf')).replace(/[\\/\x00-\x1f]/g, '_').slice(0, 255);
      let hash: HashSpec | null = null;
      const entry = {
        blob,
        rec: {
          uid, pk: r.pk, kind: isHash ? 'hash' : 'pdf', fieldName: part.fieldName.slice(0, 100), filename,
          size: blob.size, sha256: blob.sha256, mime: isHash ? 'application/json' : 'application/pdf',
          ext: isHash ? '.json' : '.pdf', uploadedAt: ctx.clock.now(), signedSize: null, hash,
        } as DocumentRecord,
      };
      staged.push(entry);
      if (blob.truncated || part.truncated?.()) {
        if (isHash) throw new AppError('DOC_ERR_INVALID_HASHFILE', 'Invalid hashfile: larger than 64 KiB');
        throw new AppError('DOC_ERR_TOO_LARGE', `File too large: the limit is ${ctx.limits.maxUploadBytes} bytes`);
      }
      if (blob.size === 0) throw new AppError('API_ERR_INVALID_PARAMETER', `Empty file in field '${echo(part.fieldName)}'`);
      if (isHash) {
        const src = await blob.openSource();
        try {
          hash = parseHashfile(await src.read(0, src.size));
        } finally {
          await src.close();
        }
        entry.rec.hash = hash;
      } else if (!looksLikePdf(blob.head)) {
        throw new AppError('DOC_ERR_UNSUPPORTED_TYPE', `Unsupported file type: ${echo(part.mimetype || 'unknown')}`);
      }
    }
    if (staged.length === 0) throw new AppError('API_ERR_MISSING_PARAMETER', "Missing required parameter: 'file'");
    for (const { blob, rec } of staged) {
      if (rec.kind !== 'pdf') continue;
      const src = await blob.openSource();
      try {
        await ctx.pdf.inspect(src);
      } finally {
        await src.close();
      }
    }
    // Streaming and inspection ran unlocked; the commit runs under the request lock and checks
    // again, so a document never lands in a request that a /sign (or a cancel) has moved on from,
    // and concurrent uploads together stay within the per-request limit.
    await withRequestLock(ctx, r.pk, async () => {
      assertOpenForDocuments(await requireRequest(ctx, r.pk, notFound));
      if ((await ctx.documents.count(r.pk)) + staged.length > ctx.limits.maxDocumentsPerRequest) throw tooMany();
      for (const { blob, rec } of staged) await blob.commit(originalKey(r.pk, rec.uid));
      await ctx.documents.insertMany(staged.map((s) => s.rec));
    });
  } catch (e) {
    await Promise.all(staged.map((s) => s.blob.discard().catch(() => {})));
    await Promise.all(staged.map((s) => ctx.blobs.delete(originalKey(r.pk, s.rec.uid)).catch(() => {})));
    throw e;
  }
  return staged.map(({ rec }) => ({ uid: rec.uid, key: rec.fieldName, filename: rec.filename, digest: rec.sha256 }));
}

export interface DocumentListEntry {
  upload_date: string;
  ext: string;
  size: number;
  mime: string;
  filename: string;
  signed: boolean;
}

/** "11/11/2019 18:03:07" (oneshot-api.md §1.5 #24), UTC. */
export function formatUploadDate(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getUTCDate())}/${p(d.getUTCMonth() + 1)}/${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
}

const NO_DOCS = 'No documents found for specified Request';

export async function listDocuments(ctx: OptimizerContext, rawPk: string): Promise<Record<string, DocumentListEntry>> {
  const r = await requireRequest(ctx, rawPk, () => NO_DOCS);
  const docs = await ctx.documents.list(r.pk);
  if (docs.length === 0) throw new AppError('DOC_ERR_NOT_FOUND', NO_DOCS);
  const out: Record<string, DocumentListEntry> = {};
  for (const d of docs) {
    out[d.uid] = { upload_date: formatUploadDate(d.uploadedAt), ext: d.ext, size: d.size, mime: d.mime, filename: d.filename, signed: d.signedSize !== null };
  }
  return out;
}

export interface DocumentDownload {
  stream: Readable;
  size: number;
  mime: string;
  filename: string;
}

export type DocumentType = 'original' | 'signed';

export function parseDocumentType(raw: unknown, dflt: DocumentType | null): DocumentType {
  if ((raw === undefined || raw === null || raw === '') && dflt) return dflt;
  if (raw === 'original' || raw === 'signed') return raw;
  throw new AppError('API_ERR_INVALID_PARAMETER', "Invalid document type: valid options are 'original' and 'signed'");
}

export async function getDocument(ctx: OptimizerContext, rawPk: string, rawUid: string, type: DocumentType): Promise<DocumentDownload> {
  const r = await requireRequest(ctx, rawPk, () => 'Document not found');
  const uid = parseUid(rawUid, 'DOC_ERR_NOT_FOUND', () => 'Document not found');
  const d = await ctx.documents.get(r.pk, uid);
  if (!d || (type === 'signed' && d.signedSize === null)) throw new AppError('DOC_ERR_NOT_FOUND', 'Document not found');
  const blob = await ctx.blobs.openRead(type === 'original' ? originalKey(r.pk, uid) : signedKey(r.pk, uid));
  if (!blob) throw new AppError('DOC_ERR_NOT_FOUND', 'Document not found');
  const base = d.filename.replace(/\.[A-Za-z0-9]{1,5}$/, '');
  if (type === 'original') return { ...blob, mime: d.mime, filename: d.filename };
  return d.kind === 'hash'
    ? { ...blob, mime: 'application/pkcs7-mime', filename: `${base}.p7m` }
    : { ...blob, mime: 'application/pdf', filename: `${base}-signed.pdf` };
}

/** Deletes one file; `type` null (Gen C) removes the document with its signed version. */
export async function deleteDocument(ctx: OptimizerContext, rawPk: string, rawUid: string, type: DocumentType | null): Promise<void> {
  const notFound = () => `Document not found with uid ${echo(rawUid)} and type ${type ?? 'original'}`;
  const r = await requireRequest(ctx, rawPk, notFound);
  const uid = parseUid(rawUid, 'DOC_ERR_NOT_FOUND', notFound);
  await withRequestLock(ctx, r.pk, async () => {
    const d = await ctx.documents.get(r.pk, uid);
    if (!d || (type === 'signed' && d.signedSize === null)) throw new AppError('DOC_ERR_NOT_FOUND', notFound());
    if (type === 'signed') {
      await ctx.documents.setSignedSize(r.pk, uid, null);
      await ctx.blobs.delete(signedKey(r.pk, uid));
      return;
    }
    await ctx.documents.delete(r.pk, uid);
    await ctx.blobs.delete(originalKey(r.pk, uid));
    await ctx.blobs.delete(signedKey(r.pk, uid));
  });
}

export async function deleteAllDocuments(ctx: OptimizerContext, rawPk: string): Promise<number> {
  const r = await requireRequest(ctx, rawPk, () => NO_DOCS);
  return withRequestLock(ctx, r.pk, async () => {
    const docs = await ctx.documents.list(r.pk);
    if (docs.length === 0) throw new AppError('DOC_ERR_NOT_FOUND', NO_DOCS);
    await ctx.documents.deleteAll(r.pk);
    for (const d of docs) {
      await ctx.blobs.delete(originalKey(r.pk, d.uid));
      await ctx.blobs.delete(signedKey(r.pk, d.uid));
    }
    return docs.length;
  });
}

/** Fetches the service contract from the TSC once and keeps it in the request's folder. */
export async function ensureContract(ctx: OptimizerContext, r: RequestRecord): Promise<string> {
  const key = CONTRACT_ORIGINAL(r.pk);
  if (!(await ctx.blobs.exists(key))) await ctx.blobs.putBytes(key, await ctx.tsc.getContract(r.pk));
  return key;
}

/**
 * The contract PDF; after signing, the signed contract (it is the same document plus the
 * signature) unless `document_type=original` asks for the unsigned one.
 */
export async function getContract(ctx: OptimizerContext, rawPk: string, type: DocumentType | null): Promise<DocumentDownload> {
  const r = await requireRequest(ctx, rawPk, (pk) => `Request ${pk} not found`);
  const signed = await ctx.blobs.openRead(CONTRACT_SIGNED(r.pk));
  if (signed && type !== 'original') return { ...signed, mime: 'application/pdf', filename: `contract-${r.pk}-signed.pdf` };
  signed?.stream.destroy();
  if (type === 'signed') throw new AppError('DOC_ERR_NOT_FOUND', 'Document not found');
  const blob = await ctx.blobs.openRead(await ensureContract(ctx, r));
  if (!blob) throw new AppError('DOC_ERR_NOT_FOUND', 'Document not found');
  return { ...blob, mime: 'application/pdf', filename: `contract-${r.pk}.pdf` };
}
