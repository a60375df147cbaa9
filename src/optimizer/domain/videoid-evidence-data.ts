/**
 * Parsing of the external-mode evidence body (Gen B `UploadData_VID`, oneshot-api.md §1.7 #33) and
 * of the hosted page's identity declaration. Any malformed part is a 400 and nothing is stored.
 *
 *   { acceptance: {…free-form…},
 *     videoid_data: { images: {document_front, document_rear, document_photo, document_owner} (base64),
 *                     ocr_data: {given_name*, surname_1*, surname_2, mobile_phone_number, email, serial_number*,
 *                                id_document_type (IDC|PAS|PNO|TIN), id_document_country},
 *                     security_checks: {<check>: boolean, …}, similarity_level: 0..100 | "low"|"medium"|"high" } }
 */
import { AppError } from '../../shared/errors.js';
import { echo } from './ids.js';
import { IMAGE_ITEMS, type ImageItem } from './videoid-ports.js';
import { SIMILARITY_WORDS } from './videoid-rules.js';

export interface ParsedEvidences {
  acceptance?: Record<string, unknown>;
  images: Partial<Record<ImageItem, Uint8Array>>;
  ocr?: Record<string, string>;
  checks?: Record<string, boolean>;
  similarity?: number;
}

const MAX_ACCEPTANCE_BYTES = 16 * 1024;
const OCR_FIELDS = ['given_name', 'surname_1', 'surname_2', 'mobile_phone_number', 'email', 'serial_number', 'id_document_type', 'id_document_country'];
/** The Gen B enum for ocr_data; the hosted page offers the same types. */
export const VIDEOID_DOCUMENT_TYPES = ['IDC', 'PAS', 'PNO', 'TIN'];

function bad(text: string): AppError {
  return new AppError('VIDEOID_ERR_INVALID_EVIDENCE', text);
}

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

function scalar(v: unknown, name: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (typeof v !== 'string') throw bad(`${name} must be a string`);
  const t = v.trim();
  return t === '' ? undefined : t;
}

/** Identity fields (OCR result or the signer's declaration); required ones per the Gen B schema. */
export function parseIdentity(raw: unknown, where: string): Record<string, string> {
  if (!isObject(raw)) throw bad(`${where} must be an object`);
  const out: Record<string, string> = {};
  for (const f of OCR_FIELDS) {
    const v = scalar(raw[f], `${where}.${f}`);
    if (v !== undefined) out[f] = v.normalize('NFC');
  }
  const missing = ['given_name', 'surname_1', 'serial_number'].filter((f) => !out[f]);
  if (missing.length) {
    throw new AppError('API_ERR_MISSING_PARAMETER', `Missing required parameters: ${missing.map((f) => `${where}.${f}`).join(', ')}`);
  }
  if (out.id_document_type !== undefined) {
    out.id_document_type = out.id_document_type.toUpperCase();
    if (!VIDEOID_DOCUMENT_TYPES.includes(out.id_document_type)) {
      throw bad(`${where}.id_document_type must be one of ${VIDEOID_DOCUMENT_TYPES.join(', ')}`);
    }
  }
  if (out.id_document_country !== undefined) {
    out.id_document_country = out.id_document_country.toUpperCase();
    if (!/^[A-Z]{2}$/.test(out.id_document_country)) throw bad(`${where}.id_document_country must be an ISO 3166-1 alpha-2 code`);
  }
  return out;
}

/** Strict base64 (optionally a data: URL) → bytes; the size is bounded before decoding. */
function decodeImage(v: unknown, name: string, maxBytes: number): Uint8Array {
  if (typeof v !== 'string') throw bad(`${name} must be a base64 string`);
  const b64 = v.replace(/^data:image\/[a-z.+-]+;base64,/i, '').replace(/\s+/g, '');
  if (b64 === '' || b64.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) throw bad(`${name} is not valid base64`);
  if ((b64.length / 4) * 3 > maxBytes + 2) {
    throw new AppError('VIDEOID_ERR_MEDIA_TOO_LARGE', `${name} is too large: the limit is ${maxBytes} bytes`);
  }
  return Buffer.from(b64, 'base64');
}

function parseSimilarity(v: unknown): number {
  if (typeof v === 'string' && v.trim().toLowerCase() in SIMILARITY_WORDS) return SIMILARITY_WORDS[v.trim().toLowerCase()]!;
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*\d{1,3}\s*$/.test(v) ? Number(v) : NaN;
  if (!Number.isInteger(n) || n < 0 || n > 100) throw bad('similarity_level must be an integer 0..100 (or low, medium, high)');
  return n;
}

function parseChecks(v: unknown): Record<string, boolean> {
  if (!isObject(v)) throw bad('security_checks must be an object of booleans');
  const entries = Object.entries(v);
  if (entries.length === 0 || entries.length > 32) throw bad('security_checks must hold 1-32 checks');
  const out: Record<string, boolean> = {};
  for (const [k, raw] of entries) {
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(k)) throw bad(`Invalid security check name: ${echo(k)}`);
    if (raw === true || raw === 'true' || raw === 1) out[k] = true;
    else if (raw === false || raw === 'false' || raw === 0) out[k] = false;
    else throw bad(`security_checks.${k} must be a boolean`);
  }
  return out;
}

export function parseEvidences(body: unknown, maxImageBytes: number): ParsedEvidences {
  if (!isObject(body)) throw new AppError('API_ERR_MISSING_PARAMETER', 'Missing required parameters');
  const out: ParsedEvidences = { images: {} };
  if (body.acceptance !== undefined) {
    if (!isObject(body.acceptance)) throw bad('acceptance must be an object');
    if (Buffer.byteLength(JSON.stringify(body.acceptance)) > MAX_ACCEPTANCE_BYTES) throw bad(`acceptance is larger than ${MAX_ACCEPTANCE_BYTES} bytes`);
    out.acceptance = body.acceptance;
  }
  const vd = body.videoid_data;
  if (vd !== undefined) {
    if (!isObject(vd)) throw bad('videoid_data must be an object');
    if (vd.images !== undefined) {
      if (!isObject(vd.images)) throw bad('videoid_data.images must be an object');
      for (const [k, v] of Object.entries(vd.images)) {
        if (!(IMAGE_ITEMS as readonly string[]).includes(k)) throw bad(`Unknown image: ${echo(k)} (expected ${IMAGE_ITEMS.join(', ')})`);
        if (v === null || v === '') continue;
        out.images[k as ImageItem] = decodeImage(v, k, maxImageBytes);
      }
    }
    if (vd.ocr_data !== undefined) out.ocr = parseIdentity(vd.ocr_data, 'ocr_data');
    if (vd.security_checks !== undefined) out.checks = parseChecks(vd.security_checks);
    if (vd.similarity_level !== undefined && vd.similarity_level !== null) out.similarity = parseSimilarity(vd.similarity_level);
  }
  if (!out.acceptance && !out.ocr && !out.checks && out.similarity === undefined && Object.keys(out.images).length === 0) {
    throw new AppError('API_ERR_MISSING_PARAMETER', 'Missing required parameters: acceptance or videoid_data');
  }
  return out;
}
