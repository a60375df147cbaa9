/**
 * PdfEngine over src/lib/pdf (upload inspection) and src/lib/pades via src/infra/fs-pades
 * (prepare/finish on files: the original is streamed once while copied and hashed, /Contents is
 * filled with one positional write), so documents are never held whole in memory.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { AppError } from '../../shared/errors.js';
import { inspectPdf } from '../../lib/pdf/index.js';
import type { ByteSource } from '../../lib/pdf/byte-source.js';
import { createAppearance } from '../../lib/pades/appearance/index.js';
import type { PreparedDigest } from '../../lib/pades/prepare.js';
import { finishSignatureFile, prepareSignatureFile } from '../../infra/fs-pades.js';
import type { AppearanceRequest, PdfEngine, PdfInspection, PrepareRequest, PreparedSignature } from '../domain/pdf-engine.js';
import type { BlobStore } from '../domain/ports.js';

let font: Uint8Array | null = null;
/** DejaVu Sans (dejavu-fonts-ttf) for signature text: wide Unicode coverage, free licence. */
function signatureFont(): Uint8Array {
  font ??= new Uint8Array(readFileSync(createRequire(import.meta.url).resolve('dejavu-fonts-ttf/ttf/DejaVuSans.ttf')));
  return font;
}

function appearanceOf(a: AppearanceRequest) {
  return createAppearance(
    {
      page: a.page,
      rect: a.rect,
      ...(a.text ? { text: a.text } : {}),
      ...(a.dateFormat ? { dateFormat: a.dateFormat } : {}),
      ...(a.timezone ? { timezone: a.timezone } : {}),
      useText: a.useText,
      horizontal: a.horizontal,
      ...(a.qrcode ? { qrcode: a.qrcode } : {}),
    },
    { font: signatureFont(), ...(a.image ? { image: a.image } : {}) },
    { CN: a.values.CN, SUBJECT: a.values.SUBJECT, EMAIL: a.values.EMAIL, L: a.values.L, date: a.values.date },
  );
}

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
    const prepared = await prepareSignatureFile(this.blobs.pathOf(req.inputKey), this.blobs.pathOf(req.outputKey), {
      contentsSize: req.contentsBytes,
      signingTime: req.signingTime,
      name: req.signerName,
      strict: true,
      ...(req.appearance ? { appearance: appearanceOf(req.appearance) } : {}),
    });
    return { digest: Buffer.from(prepared.digest, 'base64'), state: JSON.stringify(prepared) };
  }

  async finish(outputKey: string, state: string, cms: Uint8Array): Promise<void> {
    await finishSignatureFile(this.blobs.pathOf(outputKey), JSON.parse(state) as PreparedDigest, cms);
  }
}
