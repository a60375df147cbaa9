/**
 * Cheap upload-time inspection: is it a PDF, is it encrypted, how many pages, what kind of
 * cross-reference data, which signature fields exist. Reads the header, the xref chain, the
 * catalog, the root of the page tree and the form fields, nothing else.
 */
import { AppError } from '../../shared/errors.js';
import { PdfName } from './objects.js';
import { isSigned, listFields } from './acroform.js';
import type { ByteSource } from './byte-source.js';
import { PdfReader, type XrefKind } from './reader.js';

export interface SignatureFieldInfo {
  name: string;
  /** True when the field's /V holds a signature dictionary. */
  signed: boolean;
  /** /SubFilter of the signature (e.g. "ETSI.CAdES.detached"), when signed. */
  subFilter?: string;
}

export interface PdfInspection {
  fileSize: number;
  /** Header version, raised by the catalog's /Version. */
  version: string;
  encrypted: boolean;
  /** Null when it cannot be read (encrypted object streams). */
  pageCount: number | null;
  /** Kind of the last cross-reference section; "recovered" when the xref had to be rebuilt. */
  xrefKind: XrefKind | 'recovered';
  hybrid: boolean;
  linearized: boolean;
  /** Number of cross-reference sections (≈ revisions; a linearized file has one more). */
  xrefSections: number;
  signatureFields: SignatureFieldInfo[];
}

/**
 * Throws PDF_ERR_NOT_PDF for non-PDF input, PDF_ERR_BROKEN_XREF in strict mode for a damaged
 * xref, PDF_ERR_MALFORMED when even recovery finds no catalog. Encrypted files are reported
 * (encrypted: true), not thrown, so the caller can phrase the refusal.
 */
export async function inspectPdf(source: ByteSource, opts: { strict?: boolean } = {}): Promise<PdfInspection> {
  let reader: PdfReader;
  try {
    reader = await PdfReader.open(source, { strict: opts.strict, allowEncrypted: true });
  } catch (e) {
    if (e instanceof AppError && e.code === 'PDF_ERR_ENCRYPTED') {
      return {
        fileSize: source.size, version: '', encrypted: true, pageCount: null, xrefKind: 'table',
        hybrid: false, linearized: false, xrefSections: 0, signatureFields: [],
      };
    }
    throw e;
  }
  const base: PdfInspection = {
    fileSize: source.size,
    version: reader.version,
    encrypted: reader.encrypted,
    pageCount: null,
    xrefKind: reader.recovered ? 'recovered' : reader.lastXrefKind,
    hybrid: reader.sections[0]?.hybrid ?? false,
    linearized: reader.linearized,
    xrefSections: reader.sections.length,
    signatureFields: [],
  };
  try {
    base.pageCount = await reader.pageCount();
    for (const f of await listFields(reader)) {
      if (f.type !== 'Sig') continue;
      const signed = await isSigned(reader, f);
      const info: SignatureFieldInfo = { name: f.name, signed };
      if (signed) {
        const sf = (await reader.resolveDict(f.value))?.get('SubFilter');
        if (sf instanceof PdfName) info.subFilter = sf.name;
      }
      base.signatureFields.push(info);
    }
  } catch (e) {
    // Encrypted files may keep their structure in encrypted object streams: report what we have.
    if (!(reader.encrypted && e instanceof AppError)) throw e;
  }
  return base;
}
