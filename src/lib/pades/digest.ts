/**
 * Digest algorithms for the ByteRange hash, and streaming hashing over a ByteSource in
 * 1 MiB chunks (never the whole file in memory, DESIGN.md §6).
 */
import { createHash, type Hash } from 'node:crypto';
import { AppError } from '../../shared/errors.js';
import type { ByteSource } from '../pdf/byte-source.js';

export type DigestAlgorithm = 'SHA-256' | 'SHA-384' | 'SHA-512';

export const DIGEST_ALGORITHMS: readonly DigestAlgorithm[] = ['SHA-256', 'SHA-384', 'SHA-512'];

/** Chunk size for streaming reads and hashing. */
export const CHUNK_SIZE = 1 << 20;

export function newHash(alg: DigestAlgorithm): Hash {
  switch (alg) {
    case 'SHA-256':
      return createHash('sha256');
    case 'SHA-384':
      return createHash('sha384');
    case 'SHA-512':
      return createHash('sha512');
    default:
      throw new AppError('CMS_ERR_UNSUPPORTED_ALGORITHM', `Unsupported digest algorithm ${String(alg)}`);
  }
}

/** Hashes the byte ranges of a source ([offset, length] pairs) by streaming. */
export async function hashByteRange(source: ByteSource, byteRange: readonly number[], alg: DigestAlgorithm): Promise<Uint8Array> {
  const h = newHash(alg);
  for (let i = 0; i + 1 < byteRange.length; i += 2) {
    const start = byteRange[i]!;
    const end = start + byteRange[i + 1]!;
    if (start < 0 || end > source.size) throw new AppError('PDF_ERR_MALFORMED', 'ByteRange lies outside the file');
    await forEachChunk(source, start, end, (c) => void h.update(c));
  }
  return new Uint8Array(h.digest());
}

/**
 * Reads [start, end) of a source in CHUNK_SIZE pieces, one read in flight while `onChunk` runs
 * on the previous one. With `readInto` two buffers are recycled (flat memory at any file
 * size); `onChunk` must not keep the chunk past its call.
 */
export async function forEachChunk(
  source: ByteSource,
  start: number,
  end: number,
  onChunk: (chunk: Uint8Array) => void | Promise<void>,
  signal?: { aborted: boolean },
): Promise<void> {
  if (start >= end) return;
  const pool = source.readInto ? [new Uint8Array(CHUNK_SIZE), new Uint8Array(CHUNK_SIZE)] : undefined;
  let turn = 0;
  const read = (pos: number): Promise<Uint8Array> => {
    const n = Math.min(CHUNK_SIZE, end - pos);
    if (!pool) return source.read(pos, n);
    const buf = pool[turn]!.subarray(0, n);
    turn ^= 1;
    return source.readInto!(pos, buf).then((got) => buf.subarray(0, got));
  };
  let pending: Promise<Uint8Array> | undefined = read(start);
  for (let pos = start; pos < end; ) {
    const buf = await pending!;
    if (buf.length === 0) throw new AppError('PDF_ERR_MALFORMED', 'Short read');
    pos += buf.length;
    pending = pos < end && !signal?.aborted ? read(pos) : undefined;
    await onChunk(buf);
    if (signal?.aborted) {
      await pending?.catch(() => undefined);
      throw new AppError('INTERNAL_ERR', 'Streaming aborted');
    }
  }
}
