/**
 * The signature dictionary (ISO 32000-1 §12.8.1 Table 252; ETSI EN 319 142-1 §5.3 for PAdES)
 * and the document timestamp dictionary (ISO 32000-2 §12.8.5; ETSI EN 319 142-1 §5.4.3).
 */
import { N, PdfDict, PdfString, type PdfRaw, type PdfValue } from '../pdf/objects.js';
import { byteRangePlaceholder, contentsPlaceholder } from './placeholder.js';

export type SignatureKind = 'signature' | 'timestamp';

export interface SignatureDictionaryOptions {
  kind: SignatureKind;
  /** Bytes reserved for the CMS (DER); the hex string is twice as long. */
  contentsSize: number;
  /** /SubFilter; default ETSI.CAdES.detached (signatures) or ETSI.RFC3161 (timestamps). */
  subFilter?: string;
  /** /M signing time (PAdES takes the claimed time from here, not from a CMS signing-time). */
  signingTime?: Date;
  reason?: string;
  location?: string;
  contactInfo?: string;
  name?: string;
}

export interface SignatureDictionary {
  dict: PdfDict;
  contents: PdfRaw;
  byteRange: PdfRaw;
}

/** PDF date string D:YYYYMMDDHHmmSS+00'00' in UTC (§7.9.4). */
export function pdfDate(d: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `D:${p(d.getUTCFullYear(), 4)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}+00'00'`;
}

export function signatureDictionary(o: SignatureDictionaryOptions): SignatureDictionary {
  const contents = contentsPlaceholder(o.contentsSize);
  const byteRange = byteRangePlaceholder();
  const dict = new PdfDict();
  const raw = (r: PdfRaw) => r as unknown as PdfValue; // PdfRaw is written verbatim by serialize()
  if (o.kind === 'timestamp') {
    dict.set('Type', N('DocTimeStamp'));
    dict.set('Filter', N('Adobe.PPKLite'));
    dict.set('SubFilter', N(o.subFilter ?? 'ETSI.RFC3161'));
  } else {
    dict.set('Type', N('Sig'));
    dict.set('Filter', N('Adobe.PPKLite'));
    dict.set('SubFilter', N(o.subFilter ?? 'ETSI.CAdES.detached'));
  }
  dict.set('ByteRange', raw(byteRange));
  dict.set('Contents', raw(contents));
  if (o.kind === 'signature') {
    dict.set('M', PdfString.text(pdfDate(o.signingTime ?? new Date())));
    if (o.name) dict.set('Name', PdfString.text(o.name));
    if (o.reason) dict.set('Reason', PdfString.text(o.reason));
    if (o.location) dict.set('Location', PdfString.text(o.location));
    if (o.contactInfo) dict.set('ContactInfo', PdfString.text(o.contactInfo));
  }
  return { dict, contents, byteRange };
}
