/**
 * node:fs implementations of the signing engine's output ports (lib/pades/ports.ts): an
 * append-only sink for `prepare`, a read/patch file for `finish`, an appendable file for DSS
 * and document-timestamp increments. Positional I/O on one file handle; no whole-file buffers.
 */
import { open, type FileHandle } from 'node:fs/promises';
import type { AppendableFile, ByteSink, RandomAccessFile } from '../lib/pades/ports.js';

async function writeAll(fh: FileHandle, bytes: Uint8Array, position: number): Promise<void> {
  let done = 0;
  while (done < bytes.length) {
    const { bytesWritten } = await fh.write(bytes, done, bytes.length - done, position + done);
    done += bytesWritten;
  }
}

async function readAt(fh: FileHandle, size: number, offset: number, length: number): Promise<Uint8Array> {
  const n = Math.max(0, Math.min(length, size - offset));
  const buf = Buffer.allocUnsafe(n);
  let got = 0;
  while (got < n) {
    const { bytesRead } = await fh.read(buf, got, n - got, offset + got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return got === n ? buf : buf.subarray(0, got);
}

/** Creates (exclusively, mode 0600) a new file and appends to it. */
export class FileSink implements ByteSink {
  private pos = 0;
  private constructor(private readonly fh: FileHandle) {}

  static async create(path: string): Promise<FileSink> {
    return new FileSink(await open(path, 'wx', 0o600));
  }

  get written(): number {
    return this.pos;
  }

  async write(bytes: Uint8Array): Promise<void> {
    const at = this.pos;
    this.pos += bytes.length;
    await writeAll(this.fh, bytes, at);
  }

  /** Flushes to stable storage (the caller decides whether a prepared file must survive a crash). */
  async sync(): Promise<void> {
    await this.fh.sync();
  }

  async close(): Promise<void> {
    await this.fh.close();
  }
}

/** An existing file opened for positional reads and writes (size fixed at open). */
export class FileRandomAccess implements RandomAccessFile, AppendableFile {
  private constructor(private readonly fh: FileHandle, private length: number) {}

  static async open(path: string): Promise<FileRandomAccess> {
    const fh = await open(path, 'r+');
    try {
      return new FileRandomAccess(fh, (await fh.stat()).size);
    } catch (e) {
      await fh.close();
      throw e;
    }
  }

  get size(): number {
    return this.length;
  }

  read(offset: number, length: number): Promise<Uint8Array> {
    return readAt(this.fh, this.length, offset, length);
  }

  write(offset: number, bytes: Uint8Array): Promise<void> {
    return writeAll(this.fh, bytes, offset);
  }

  async append(bytes: Uint8Array): Promise<void> {
    const at = this.length;
    await writeAll(this.fh, bytes, at);
    this.length = at + bytes.length;
  }

  async sync(): Promise<void> {
    await this.fh.sync();
  }

  async close(): Promise<void> {
    await this.fh.close();
  }
}
