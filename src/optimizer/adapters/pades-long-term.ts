/**
 * LongTermPdf over src/lib/pades via src/infra/fs-pades (issue 5): DSS increments and document
 * timestamps on files, each written to a new key (copy, then append), so a failure never damages
 * the signed file it started from.
 */
import { constants } from 'node:fs';
import { copyFile, rm } from 'node:fs/promises';
import { appendDssToFile, prepareDocumentTimestampFile } from '../../infra/fs-pades.js';
import { FileByteSource } from '../../infra/fs-byte-source.js';
import { extractSignatures } from '../../lib/pades/extract.js';
import type { PreparedDigest } from '../../lib/pades/prepare.js';
import { AppError } from '../../shared/errors.js';
import type { PreparedSignature } from '../domain/pdf-engine.js';
import type { DssData, LongTermPdf } from '../domain/long-term-ports.js';
import type { TsaHash } from '../domain/levels.js';
import type { BlobStore } from '../domain/ports.js';

const DIGEST: Record<TsaHash, 'SHA-256' | 'SHA-384' | 'SHA-512'> = { sha256: 'SHA-256', sha384: 'SHA-384', sha512: 'SHA-512' };

export class PadesLongTermPdf implements LongTermPdf {
  constructor(private readonly blobs: BlobStore) {}

  async signatureContents(key: string, state: string): Promise<Uint8Array> {
    const { fieldName } = JSON.parse(state) as PreparedDigest;
    const src = await FileByteSource.open(this.blobs.pathOf(key));
    try {
      const sig = (await extractSignatures(src, { strict: true })).find((s) => s.fieldName === fieldName);
      if (!sig) throw new AppError('PDF_ERR_PLACEHOLDER_NOT_FOUND', `No signature field ${fieldName}`);
      return sig.contents;
    } finally {
      await src.close();
    }
  }

  async appendDss(inputKey: string, outputKey: string, data: DssData): Promise<void> {
    const out = this.blobs.pathOf(outputKey);
    await copyFile(this.blobs.pathOf(inputKey), out, constants.COPYFILE_EXCL);
    try {
      await appendDssToFile(out, data, { strict: true });
    } catch (e) {
      await rm(out, { force: true });
      throw e;
    }
  }

  async prepareTimestamp(inputKey: string, outputKey: string, opts: { contentsBytes: number; digestAlgorithm: TsaHash }): Promise<PreparedSignature> {
    const prepared = await prepareDocumentTimestampFile(this.blobs.pathOf(inputKey), this.blobs.pathOf(outputKey), {
      contentsSize: opts.contentsBytes, digestAlgorithm: DIGEST[opts.digestAlgorithm], strict: true,
    });
    return { digest: Buffer.from(prepared.digest, 'base64'), state: JSON.stringify(prepared) };
  }
}
