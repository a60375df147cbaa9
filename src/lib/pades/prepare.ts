/**
 * prepare: one incremental update holding the signature field, widget, optional appearance and
 * the signature dictionary with a zero-filled /Contents and a fixed-width /ByteRange; then the
 * ByteRange digest, computed while the original is copied to the destination (one read pass,
 * 1 MiB chunks). The result is a JSON-serialisable PreparedDigest that `finish` (possibly in
 * another process) uses to fill /Contents with one positional write.
 */
import type { Hash } from 'node:crypto';
import { AppError } from '../../shared/errors.js';
import type { ByteSource } from '../pdf/byte-source.js';
import { PdfName } from '../pdf/objects.js';
import { PdfReader } from '../pdf/reader.js';
import { IncrementalWriter } from '../pdf/writer.js';
import { DIGEST_ALGORITHMS, forEachChunk, newHash, type DigestAlgorithm } from './digest.js';
import { formatByteRange } from './placeholder.js';
import type { ByteSink } from './ports.js';
import { signatureDictionary, type SignatureKind } from './signature-dictionary.js';
import { addSignatureField, type SignatureAppearance } from './signature-field.js';

export interface PrepareOptions {
  /**
   * Bytes reserved for the DER CMS (the hex placeholder is twice that). The caller derives it
   * from the real chain + timestamp token + embedded revocation data, plus a margin.
   */
  contentsSize: number;
  /** Digest over the ByteRange; default SHA-256. */
  digestAlgorithm?: DigestAlgorithm;
  /** Partial field name; made unique. Default "Signature<n>". */
  fieldName?: string;
  /** /M (signatures only); default now. */
  signingTime?: Date;
  reason?: string;
  location?: string;
  contactInfo?: string;
  name?: string;
  /** /SubFilter override (e.g. adbe.pkcs7.detached); default per kind. */
  subFilter?: string;
  /** Page of the invisible widget (0-based, default 0). */
  page?: number;
  /** Visible signature; invisible when absent. */
  appearance?: SignatureAppearance;
  /** Strict reader: refuse damaged xref data instead of recovering. */
  strict?: boolean;
  /** Second /ID element (tests use a fixed one); random by default. */
  newId?: Uint8Array;
}

/** Everything `finish` needs, serialisable as JSON (numbers are file offsets). */
export interface PreparedDigest {
  version: 1;
  kind: SignatureKind;
  digestAlgorithm: DigestAlgorithm;
  /** Base64 digest of the ByteRange bytes. */
  digest: string;
  byteRange: [number, number, number, number];
  /** Absolute offset of the first hex digit of /Contents (just after "<"). */
  contentsOffset: number;
  /** Bytes of CMS the placeholder holds (its hex digits / 2). */
  contentsLength: number;
  /** Size of the prepared file. */
  fileSize: number;
  fieldName: string;
  pageIndex: number;
  /** /M as ISO 8601 (signatures), for the CMS builder's information. */
  signingTime?: string;
}

/** The increment and its layout, before any bytes are written. */
export interface SignatureIncrement {
  bytes: Uint8Array;
  /** Absolute offset where `bytes` start (= original file size). */
  base: number;
  byteRange: [number, number, number, number];
  contentsOffset: number;
  contentsLength: number;
  fileSize: number;
  fieldName: string;
  pageIndex: number;
}

/** Builds the signature (or document timestamp) increment for a file already opened. */
export async function buildSignatureIncrement(reader: PdfReader, kind: SignatureKind, o: PrepareOptions): Promise<SignatureIncrement> {
  if (kind === 'signature') await refuseIfCertifiedNoChanges(reader);
  const sig = signatureDictionary({
    kind,
    contentsSize: o.contentsSize,
    subFilter: o.subFilter,
    signingTime: o.signingTime,
    reason: o.reason,
    location: o.location,
    contactInfo: o.contactInfo,
    name: o.name,
  });
  const writer = new IncrementalWriter(reader, { newId: o.newId });
  const sigRef = writer.addWritable(sig.dict);
  const { fieldName, pageIndex } = await addSignatureField(reader, writer, sigRef, {
    fieldName: o.fieldName,
    page: o.page,
    appearance: o.appearance,
  });
  const inc = writer.build();
  const bytes = inc.bytes;
  const cAt = inc.marks.get(sig.contents);
  const brAt = inc.marks.get(sig.byteRange);
  if (cAt === undefined || brAt === undefined) throw new AppError('PDF_ERR_PLACEHOLDER_NOT_FOUND', 'Signature placeholder not written');
  // §12.8.1: the ByteRange covers the whole file except the /Contents value and its < >.
  // Its offsets are absolute file offsets even when junk precedes %PDF (poppler hashes
  // from byte 0; xref offsets, in contrast, count from the header in such files).
  const fileSize = inc.base + bytes.length;
  const start = inc.base + cAt;
  const end = start + sig.contents.bytes.length;
  const byteRange: [number, number, number, number] = [0, start, end, fileSize - end];
  bytes.set(formatByteRange(byteRange), brAt);
  return {
    bytes,
    base: inc.base,
    byteRange,
    contentsOffset: inc.base + cAt + 1,
    contentsLength: (sig.contents.bytes.length - 2) / 2,
    fileSize,
    fieldName,
    pageIndex,
  };
}

/**
 * A certified document (ISO 32000-1 §12.8.2.2, /Perms /DocMDP) with access permissions P=1
 * allows no change at all: another signature would break its certification, so it is refused.
 * DSS and document timestamps stay allowed (ISO 32000-2 §12.8.2.2.2, ETSI EN 319 142-1 §5.4).
 */
async function refuseIfCertifiedNoChanges(reader: PdfReader): Promise<void> {
  const perms = await reader.resolveDict((await reader.catalog()).get('Perms'));
  const mdp = await reader.resolveDict(perms?.get('DocMDP'));
  const refs = await reader.resolve(mdp?.get('Reference'));
  if (!Array.isArray(refs)) return;
  for (const r of refs) {
    const sr = await reader.resolveDict(r);
    const tm = sr?.get('TransformMethod');
    if (!(tm instanceof PdfName) || tm.name !== 'DocMDP') continue;
    const params = await reader.resolveDict(sr!.get('TransformParams'));
    // §12.8.2.2 Table 254: P defaults to 2.
    const p = params?.get('P');
    if (p === 1) throw new AppError('PDF_ERR_CERTIFIED_NO_CHANGES', 'The document is certified and allows no further changes (DocMDP P=1)');
  }
}

/**
 * Copies `source` to `sink`, appends the increment, and returns the ByteRange digest. The
 * original is hashed while it is copied (read once); the next chunk is read while the current
 * one is hashed and written.
 */
export async function writeAndHash(source: ByteSource, sink: ByteSink, inc: SignatureIncrement, alg: DigestAlgorithm): Promise<Uint8Array> {
  const h = newHash(alg);
  // The sink may keep a reference until its write resolves, so chunks are written before the
  // next one is handed out (forEachChunk awaits this callback).
  await forEachChunk(source, 0, source.size, async (c) => {
    h.update(c);
    await sink.write(c);
  });
  const cStart = inc.contentsOffset - 1 - inc.base;
  const cEnd = cStart + inc.contentsLength * 2 + 2;
  h.update(inc.bytes.subarray(0, cStart));
  h.update(inc.bytes.subarray(cEnd));
  await sink.write(inc.bytes);
  return new Uint8Array(h.digest());
}

/** A signature increment planned for a source: built, laid out, not yet written or hashed. */
export interface PlannedSignature {
  kind: SignatureKind;
  digestAlgorithm: DigestAlgorithm;
  increment: SignatureIncrement;
  signingTime?: Date;
}

/**
 * Opens the source, builds the increment and lays out the placeholder. Every refusal (not a
 * PDF, encrypted, damaged in strict mode, bad page or rectangle) happens here, before any write.
 */
export async function planSignature(source: ByteSource, kind: SignatureKind, o: PrepareOptions): Promise<PlannedSignature> {
  const alg = o.digestAlgorithm ?? 'SHA-256';
  if (!DIGEST_ALGORITHMS.includes(alg)) throw new AppError('CMS_ERR_UNSUPPORTED_ALGORITHM', `Unsupported digest algorithm ${String(alg)}`);
  const signingTime = kind === 'signature' ? new Date(Math.floor((o.signingTime ?? new Date()).getTime() / 1000) * 1000) : undefined;
  const reader = await PdfReader.open(source, { strict: o.strict });
  const increment = await buildSignatureIncrement(reader, kind, { ...o, signingTime });
  return { kind, digestAlgorithm: alg, increment, signingTime };
}

/**
 * Streams the whole source through a new hash (1 MiB chunks, next read in flight while the
 * current chunk is hashed). It does not depend on the plan, so callers may start it while
 * the increment is being planned; `signal.aborted` stops it early when the plan fails.
 */
export async function hashSource(source: ByteSource, alg: DigestAlgorithm, signal?: { aborted: boolean }): Promise<Hash> {
  const h = newHash(alg);
  await forEachChunk(source, 0, source.size, (c) => void h.update(c), signal);
  return h;
}

/** Finishes a source hash with the increment minus its /Contents placeholder (§12.8.1). */
export function completeDigest(h: Hash, plan: PlannedSignature): Uint8Array {
  const inc = plan.increment;
  const cStart = inc.contentsOffset - 1 - inc.base;
  h.update(inc.bytes.subarray(0, cStart));
  h.update(inc.bytes.subarray(cStart + inc.contentsLength * 2 + 2));
  return new Uint8Array(h.digest());
}

/**
 * The ByteRange digest of (source + increment) without writing anything. For callers that copy
 * the file by other means (e.g. an in-kernel file copy running in parallel).
 */
export async function hashPlanned(source: ByteSource, plan: PlannedSignature): Promise<Uint8Array> {
  return completeDigest(await hashSource(source, plan.digestAlgorithm), plan);
}

/** The serialisable result of a planned and hashed signature. */
export function preparedDigestOf(plan: PlannedSignature, digest: Uint8Array): PreparedDigest {
  const inc = plan.increment;
  const out: PreparedDigest = {
    version: 1,
    kind: plan.kind,
    digestAlgorithm: plan.digestAlgorithm,
    digest: Buffer.from(digest).toString('base64'),
    byteRange: inc.byteRange,
    contentsOffset: inc.contentsOffset,
    contentsLength: inc.contentsLength,
    fileSize: inc.fileSize,
    fieldName: inc.fieldName,
    pageIndex: inc.pageIndex,
  };
  if (plan.signingTime) out.signingTime = plan.signingTime.toISOString();
  return out;
}

async function prepare(kind: SignatureKind, source: ByteSource, sink: ByteSink, o: PrepareOptions): Promise<PreparedDigest> {
  const plan = await planSignature(source, kind, o);
  return preparedDigestOf(plan, await writeAndHash(source, sink, plan.increment, plan.digestAlgorithm));
}

/** Prepares a PAdES signature (/SubFilter /ETSI.CAdES.detached by default). */
export function prepareSignature(source: ByteSource, sink: ByteSink, o: PrepareOptions): Promise<PreparedDigest> {
  return prepare('signature', source, sink, o);
}

/** Prepares a document timestamp (/Type /DocTimeStamp, /SubFilter /ETSI.RFC3161; PAdES B-LTA). */
export function prepareDocumentTimestamp(
  source: ByteSource,
  sink: ByteSink,
  o: Omit<PrepareOptions, 'signingTime' | 'reason' | 'location' | 'contactInfo' | 'name'>,
): Promise<PreparedDigest> {
  return prepare('timestamp', source, sink, o);
}
