/**
 * What the sign and upload use cases need from the PAdES engine (src/lib/pdf + src/lib/pades,
 * wired in adapters/): inspect an upload, prepare a signature placeholder in a new file and
 * return the ByteRange digest, then fill /Contents with the CMS. Files are named by blob keys.
 */
import type { ByteSource } from '../../lib/pdf/byte-source.js';

export interface PdfInspection {
  pageCount: number;
}

export interface AppearanceRequest {
  /** 0-based page index. */
  page: number;
  /** x1,y1,x2,y2 in points from the bottom-left corner of the page. */
  rect: [number, number, number, number];
  /** PNG bytes of an uploaded image, if any. */
  image: Uint8Array | null;
  /** Template lines with %(CN)s, %(SUBJECT)s, %(DATE)s, %(E)s/%(EMAIL)s, %(L)s; null → engine default. */
  text: string[] | null;
  /** One-Shot `use_signature_text`. */
  useText: boolean;
  /** strftime format of %(DATE)s and its IANA zone. */
  dateFormat: string | null;
  timezone: string | null;
  /** Gen C: image and text side by side; QR code URL. */
  horizontal: boolean;
  qrcode: string | null;
  /** Values of the template variables (from the request data: the certificate is issued later). */
  values: { CN: string; SUBJECT: string; EMAIL: string; L: string; date: Date };
}

export interface PrepareRequest {
  inputKey: string;
  outputKey: string;
  /** Bytes reserved for the DER CMS in /Contents (hex doubles it). */
  contentsBytes: number;
  appearance: AppearanceRequest | null;
  signerName: string;
  signingTime: Date;
}

export interface PreparedSignature {
  /** SHA-256 over the ByteRange. */
  digest: Uint8Array;
  /** Serialisable state finish() needs (placeholder offsets …). */
  state: string;
}

export interface PdfEngine {
  /** Throws AppError PDF_ERR_* for encrypted, broken or unsupported files. */
  inspect(source: ByteSource): Promise<PdfInspection>;
  prepare(req: PrepareRequest): Promise<PreparedSignature>;
  finish(outputKey: string, state: string, cms: Uint8Array): Promise<void>;
}
