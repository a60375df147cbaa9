/**
 * node:fs implementation of the PDF engine's random-access input port (lib/pdf ByteSource):
 * positional reads on an open file handle, so the reader only touches the bytes it parses.
 */
import { open, type FileHandle } from 'node:fs/promises';
import type { ByteSource } from '../lib/pdf/byte-source.js';

export class FileByteSource implements ByteSource {
  private constructor(private readonly fh: FileHandle, readonly size: number, readonly path: string) {}

  static async open(path: string): Promise<FileByteSource> {
    const fh = await open(path, 'r');
    try {
      const st = await fh.stat();
      return new FileByteSource(fh, st.size, path);
    } catch (e) {
      await fh.close();
      throw e;
    }
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    const n = Math.max(0, Math.min(length, this.size - offset));
    const buf = Buffer.allocUnsafe(n);
    let got = 0;
    while (got < n) {
      const { bytesRead } = await this.fh.read(buf, got, n - got, offset + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    return got === n ? buf : buf.subarray(0, got);
  }

  async readInto(offset: number, target: Uint8Array): Promise<number> {
    const n = Math.max(0, Math.min(target.length, this.size - offset));
    let got = 0;
    while (got < n) {
      const { bytesRead } = await this.fh.read(target, got, n - got, offset + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    return got;
  }

  async close(): Promise<void> {
    await this.fh.close();
  }
}

/** Opens a file source, runs `fn`, always closes it. */
export async function withFileSource<T>(path: string, fn: (src: FileByteSource) => Promise<T>): Promise<T> {
  const src = await FileByteSource.open(path);
  try {
    return await fn(src);
  } finally {
    await src.close();
  }
}
