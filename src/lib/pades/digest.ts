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
    // Read ahead one chunk while hashing the current one.
    let pending = start < end ? source.read(start, Math.min(CHUNK_SIZE, end - start)) : undefined;
    for (let pos = start; pos < end; ) {
      const buf = await pending!;
      if (buf.length === 0) throw new AppError('PDF_ERR_MALFORMED', 'Short read while hashing');
      pos += buf.length;
      pending = pos < end ? source.read(pos, Math.min(CHUNK_SIZE, end - pos)) : undefined;
      h.update(buf);
    }
  }
  return new Uint8Array(h.digest());
}
