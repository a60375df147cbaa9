/**
 * Local-folder blob store (<data>/optimizer/blobs): one folder per request, `_images/` for
 * images. Uploads are streamed to a staging file while SHA-256 is computed (never buffered whole),
 * then renamed into place, so a key either holds a complete file or nothing.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { once } from 'node:events';
import type { Readable } from 'node:stream';
import { FileByteSource } from '../../infra/fs-byte-source.js';
import { AppError } from '../../shared/errors.js';
import type { BlobStore, ClosableByteSource, StagedBlob } from '../domain/ports.js';

const KEY_RE = /^[A-Za-z0-9_]+(\/[A-Za-z0-9_][A-Za-z0-9._-]*)*$/;
const HEAD_BYTES = 1024;

export class FsBlobStore implements BlobStore {
  private readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  pathOf(key: string): string {
    if (!KEY_RE.test(key) || key.split('/').some((s) => s === '..' || s === '.')) {
      throw new AppError('INTERNAL_ERR', 'invalid blob key');
    }
    const p = join(this.root, key);
    if (!p.startsWith(this.root + sep)) throw new AppError('INTERNAL_ERR', 'invalid blob key');
    return p;
  }

  async stage(input: AsyncIterable<Uint8Array>, opts: { maxBytes: number }): Promise<StagedBlob> {
    const dir = join(this.root, '.staging');
    await mkdir(dir, { recursive: true });
    const path = join(dir, randomBytes(12).toString('hex'));
    const out = createWriteStream(path, { flags: 'wx', mode: 0o600 });
    const hash = createHash('sha256');
    const head: Buffer[] = [];
    let headLen = 0;
    let size = 0;
    let truncated = false;
    try {
      for await (const chunk of input) {
        if (truncated) continue; // keep draining the input
        let c = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
        if (size + c.length > opts.maxBytes) {
          truncated = true;
          c = c.subarray(0, opts.maxBytes - size);
        }
        size += c.length;
        hash.update(c);
        if (headLen < HEAD_BYTES) {
          head.push(c.subarray(0, HEAD_BYTES - headLen));
          headLen += Math.min(c.length, HEAD_BYTES - headLen);
        }
        if (!out.write(c)) await once(out, 'drain');
      }
      out.end();
      await once(out, 'finish');
    } catch (e) {
      out.destroy();
      await rm(path, { force: true });
      throw e;
    }
    const self = this;
    let settled = false;
    return {
      size,
      sha256: hash.digest('hex'),
      head: Buffer.concat(head),
      truncated,
      async commit(key: string) {
        const dest = self.pathOf(key);
        await mkdir(dirname(dest), { recursive: true });
        await rename(path, dest);
        settled = true;
      },
      async discard() {
        if (!settled) await rm(path, { force: true });
        settled = true;
      },
      openSource: () => FileByteSource.open(path),
    };
  }

  async putBytes(key: string, bytes: Uint8Array): Promise<void> {
    const dest = this.pathOf(key);
    await mkdir(dirname(dest), { recursive: true });
    const tmp = `${dest}.tmp-${randomBytes(6).toString('hex')}`;
    await writeFile(tmp, bytes, { mode: 0o600 });
    await rename(tmp, dest);
  }

  async getBytes(key: string): Promise<Uint8Array | null> {
    try {
      return await readFile(this.pathOf(key));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
  }

  async openRead(key: string): Promise<{ stream: Readable; size: number } | null> {
    const p = this.pathOf(key);
    let size: number;
    try {
      size = (await stat(p)).size;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
    return { stream: createReadStream(p), size };
  }

  async openSource(key: string): Promise<ClosableByteSource | null> {
    try {
      return await FileByteSource.open(this.pathOf(key));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
  }

  async exists(key: string): Promise<boolean> {
    try {
      await stat(this.pathOf(key));
      return true;
    } catch {
      return false;
    }
  }

  async move(from: string, to: string): Promise<void> {
    const dest = this.pathOf(to);
    await mkdir(dirname(dest), { recursive: true });
    await rename(this.pathOf(from), dest);
  }

  async delete(key: string): Promise<void> {
    await rm(this.pathOf(key), { force: true });
  }

  async deletePrefix(prefix: string): Promise<void> {
    await rm(this.pathOf(prefix), { recursive: true, force: true });
  }

  /**
   * Removes staging files not written to since `before` (ms): uploads cut off by a crashed process
   * are never committed nor discarded, and may be documents or identity media. A live upload
   * keeps its file's mtime fresh, so only abandoned ones are old. Returns how many went.
   */
  async sweepStaging(before: number): Promise<number> {
    const dir = join(this.root, '.staging');
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 0;
      throw e;
    }
    let removed = 0;
    for (const name of names) {
      const p = join(dir, name);
      const st = await stat(p).catch(() => null);
      if (st?.isFile() && st.mtimeMs < before) {
        await rm(p, { force: true });
        removed++;
      }
    }
    return removed;
  }
}
