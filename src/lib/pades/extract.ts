/**
 * Lists the signatures of a PDF (ISO 32000-1 §12.8): for every signature field with a value,
 * its /ByteRange, the /Contents bytes (full, as stored, and trimmed to the DER length), the
 * /SubFilter and the field name. Used by tests, by DSS /VRI keys and by the levels work.
 */
import { listFields } from '../pdf/acroform.js';
import type { ByteSource } from '../pdf/byte-source.js';
import { PdfName, PdfString, isName } from '../pdf/objects.js';
import { PdfReader } from '../pdf/reader.js';

export interface ExtractedSignature {
  fieldName: string;
  /** "Sig" or "DocTimeStamp". */
  type: string;
  subFilter: string | undefined;
  /** [offset, length, …] pairs of absolute file offsets, as stored. */
  byteRange: number[];
  /** The decoded /Contents string, including its zero padding. */
  contents: Uint8Array;
  /** The CMS / TimeStampToken: /Contents trimmed to its DER length. */
  cms: Uint8Array;
  /** /M as written, if present. */
  signingTime: string | undefined;
  /** The ByteRange starts at 0, has one gap (the /Contents) and ends at the end of the file. */
  coversWholeFile: boolean;
}

/** Length of a DER TLV at the start of `b` (0 when it is not one). */
export function derLength(b: Uint8Array): number {
  if (b.length < 2) return 0;
  const l = b[1]!;
  if (l < 0x80) return 2 + l;
  const n = l & 0x7f;
  if (n === 0 || n > 4 || b.length < 2 + n) return 0;
  let len = 0;
  for (let i = 0; i < n; i++) len = len * 256 + b[2 + i]!;
  return 2 + n + len;
}

export async function extractSignatures(source: ByteSource, opts: { strict?: boolean } = {}): Promise<ExtractedSignature[]> {
  const reader = await PdfReader.open(source, { strict: opts.strict });
  const out: ExtractedSignature[] = [];
  for (const f of await listFields(reader)) {
    if (f.type !== 'Sig') continue;
    const v = await reader.resolveDict(f.value);
    if (!v) continue;
    const br = await reader.resolve(v.get('ByteRange'));
    const c = v.get('Contents');
    if (!Array.isArray(br) || !(c instanceof PdfString)) continue;
    const byteRange = br.filter((x): x is number => typeof x === 'number');
    const contents = c.bytes;
    const dl = derLength(contents);
    const type = v.get('Type');
    const sf = v.get('SubFilter');
    const m = v.get('M');
    out.push({
      fieldName: f.name,
      type: isName(type) ? type.name : 'Sig',
      subFilter: sf instanceof PdfName ? sf.name : undefined,
      byteRange,
      contents,
      cms: dl > 0 && dl <= contents.length ? contents.subarray(0, dl) : contents,
      signingTime: m instanceof PdfString ? m.asText() : undefined,
      coversWholeFile: byteRange.length === 4 && byteRange[0] === 0 && byteRange[2]! + byteRange[3]! === source.size,
    });
  }
  return out;
}
