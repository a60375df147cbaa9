/**
 * Document Security Store increment (ETSI EN 319 142-1 §5.4.2, ISO 32000-2 §12.8.4.3): adds or
 * extends /DSS in the catalog with /Certs, /OCSPs and /CRLs streams (DER) and optional /VRI
 * entries keyed by the uppercase hex SHA-1 of a signature's /Contents. This is what turns a
 * B-T signature into B-LT; it is appended after the signed revision, so signatures stay valid.
 */
import { createHash } from 'node:crypto';
import { deflateSync } from 'node:zlib';
import { AppError } from '../../shared/errors.js';
import type { ByteSource } from '../pdf/byte-source.js';
import { decodeStream } from '../pdf/filters.js';
import { N, PdfDict, PdfRef, PdfStream, PdfString, isDict, isRef, type PdfValue } from '../pdf/objects.js';
import { PdfReader } from '../pdf/reader.js';
import { IncrementalWriter } from '../pdf/writer.js';
import type { AppendableFile } from './ports.js';
import { pdfDate } from './signature-dictionary.js';

export interface VriInput {
  /** The signature's /Contents bytes as stored (ExtractedSignature.contents, padding included). */
  signatureContents: Uint8Array;
  certs?: Uint8Array[];
  ocsps?: Uint8Array[];
  crls?: Uint8Array[];
  /** /TU: when the validation data was collected. */
  time?: Date;
}

export interface DssInput {
  /** DER certificates. */
  certs?: Uint8Array[];
  /** DER OCSPResponse structures (RFC 6960). */
  ocsps?: Uint8Array[];
  /** DER CertificateList structures (RFC 5280). */
  crls?: Uint8Array[];
  vri?: VriInput[];
}

export interface DssResult {
  /** How many new streams were written (items already in the DSS are reused, not duplicated). */
  added: { certs: number; ocsps: number; crls: number };
  /** VRI keys written. */
  vriKeys: string[];
  /** Increment bytes (appendDss has already appended them). */
  bytes: Uint8Array;
}

const MAX_ITEM = 16 * 1024 * 1024;
const KINDS = [
  ['certs', 'Certs', 'Cert'],
  ['ocsps', 'OCSPs', 'OCSP'],
  ['crls', 'CRLs', 'CRL'],
] as const;

/** VRI dictionary key for a signature: uppercase hex SHA-1 of its /Contents (§5.4.2.2). */
export function vriKey(signatureContents: Uint8Array): string {
  return createHash('sha1').update(signatureContents).digest('hex').toUpperCase();
}

const digestOf = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** Builds the DSS increment for an opened file. */
export async function buildDssIncrement(reader: PdfReader, input: DssInput, opts: { newId?: Uint8Array } = {}): Promise<DssResult> {
  const writer = new IncrementalWriter(reader, { newId: opts.newId });
  const catalog = await reader.catalog();
  const dssVal = catalog.get('DSS');
  const oldDss = (await reader.resolveDict(dssVal)) ?? new PdfDict();
  const dss = oldDss.clone();
  dss.set('Type', N('DSS'));
  const added = { certs: 0, ocsps: 0, crls: 0 };

  // Existing items, by content, so the same certificate is never stored twice.
  const known = new Map<string, PdfRef>();
  const arrays = new Map<string, PdfValue[]>();
  for (const [, key] of KINDS) {
    const arr = await reader.resolve(dss.get(key));
    const list: PdfValue[] = Array.isArray(arr) ? [...arr] : [];
    for (const r of list) {
      if (!isRef(r)) continue;
      try {
        const s = await reader.getObject(r);
        if (s instanceof PdfStream) known.set(`${key}:${digestOf(decodeStream(s.dict, s.data))}`, r);
      } catch {
        /* an unreadable old entry is kept as it is, just not used for de-duplication */
      }
    }
    arrays.set(key, list);
  }

  const refFor = (key: string, kind: keyof typeof added, der: Uint8Array): PdfRef => {
    if (!(der instanceof Uint8Array) || der.length === 0 || der.length > MAX_ITEM || der[0] !== 0x30) {
      throw new AppError('API_ERR_INVALID_PARAMETER', `DSS ${kind} entries must be DER structures`);
    }
    const id = `${key}:${digestOf(der)}`;
    const hit = known.get(id);
    if (hit) return hit;
    const ref = writer.add(new PdfStream(new PdfDict({ Filter: N('FlateDecode') }), deflateSync(der)));
    known.set(id, ref);
    arrays.get(key)!.push(ref);
    added[kind]++;
    return ref;
  };

  for (const [kind, key] of KINDS) for (const der of input[kind] ?? []) refFor(key, kind, der);

  const vriKeys: string[] = [];
  if (input.vri?.length) {
    const oldVri = (await reader.resolveDict(dss.get('VRI'))) ?? new PdfDict();
    const vri = oldVri.clone();
    for (const v of input.vri) {
      const k = vriKey(v.signatureContents);
      const entry = new PdfDict({ Type: N('VRI') });
      for (const [kind, key, vriName] of KINDS) {
        const refs = (v[kind] ?? []).map((der) => refFor(key, kind, der));
        if (refs.length) entry.set(vriName, refs);
      }
      if (v.time) entry.set('TU', PdfString.text(pdfDate(v.time)));
      vri.set(k, entry);
      vriKeys.push(k);
    }
    dss.set('VRI', vri);
  }
  for (const [, key] of KINDS) {
    const list = arrays.get(key)!;
    if (list.length) dss.set(key, list);
  }

  if (isRef(dssVal) && isDict(await reader.getObject(dssVal))) {
    writer.set(dssVal, dss);
  } else {
    const cat = catalog.clone();
    cat.set('DSS', writer.add(dss));
    // PAdES part 4 (ETSI TS 102 778-4 §A.1): a PDF 1.7 file using DSS declares the ESIC
    // extension level 5; PDF 2.0 has DSS natively.
    // Files from Acrobat often already declare /ADBE there: ESIC is added beside it.
    if (reader.version < '2.0') {
      const ext = await reader.resolveDict(cat.get('Extensions'));
      if (!ext?.has('ESIC')) {
        const out = ext ? ext.clone() : new PdfDict();
        out.set('ESIC', new PdfDict({ BaseVersion: N('1.7'), ExtensionLevel: 5 }));
        cat.set('Extensions', out);
      }
    }
    writer.set(reader.rootRef, cat);
  }
  const inc = writer.build();
  return { added, vriKeys, bytes: inc.bytes };
}

/** Appends a DSS increment to a (signed) file in place. */
export async function appendDss(file: AppendableFile, input: DssInput, opts: { newId?: Uint8Array; strict?: boolean } = {}): Promise<DssResult> {
  const reader = await PdfReader.open(file as ByteSource, { strict: opts.strict });
  const res = await buildDssIncrement(reader, input, opts);
  await file.append(res.bytes);
  return res;
}
