/**
 * PdfEngine over src/lib/pdf (upload inspection) and src/lib/pades (prepare/finish), working on
 * blob-store files so documents are never held whole in memory.
 */
import { AppError } from '../../shared/errors.js';
import { inspectPdf } from '../../lib/pdf/index.js';
import type { ByteSource } from '../../lib/pdf/byte-source.js';
import type { PdfEngine, PdfInspection, PrepareRequest, PreparedSignature } from '../domain/pdf-engine.js';
import type { BlobStore } from '../domain/ports.js';

export class PadesPdfEngine implements PdfEngine {
  constructor(private readonly blobs: BlobStore) {}

  async inspect(source: ByteSource): Promise<PdfInspection> {
    // Strict: a damaged xref is refused at upload (the incremental update needs a sound one).
    const info = await inspectPdf(source, { strict: true });
    if (info.encrypted) throw new AppError('PDF_ERR_ENCRYPTED', 'Encrypted PDF documents cannot be signed: remove the password first');
    if (info.pageCount === null || info.pageCount < 1) throw new AppError('PDF_ERR_MALFORMED', 'The PDF has no readable pages');
    return { pageCount: info.pageCount };
  }

  async prepare(req: PrepareRequest): Promise<PreparedSignature> {
    void req;
    void this.blobs;
    throw new AppError('PDF_ERR_UNSUPPORTED', 'PAdES signing engine not available in this build');
  }

  async finish(outputKey: string, state: string, cms: Uint8Array): Promise<void> {
    void outputKey; void state; void cms;
    throw new AppError('PDF_ERR_UNSUPPORTED', 'PAdES signing engine not available in this build');
  }
}
