/**
 * I/O ports of the signing engine. lib/ does no file I/O (DESIGN.md §2 rule 1): reading is a
 * ByteSource (lib/pdf), writing is one of these; src/infra/fs-*.ts implements them over node:fs.
 */
import type { ByteSource } from '../pdf/byte-source.js';

/** Append-only output (the destination file of `prepare`). */
export interface ByteSink {
  write(bytes: Uint8Array): Promise<void>;
}

/** A file that can be read and patched in place (the prepared file `finish` fills). */
export interface RandomAccessFile extends ByteSource {
  /** Writes all of `bytes` at `offset` (one positional write). */
  write(offset: number, bytes: Uint8Array): Promise<void>;
}

/** A file that grows by appending (DSS and document-timestamp increments on a signed file). */
export interface AppendableFile extends ByteSource {
  append(bytes: Uint8Array): Promise<void>;
}
