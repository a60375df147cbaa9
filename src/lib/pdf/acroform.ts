/**
 * Walks the interactive form field tree (ISO 32000-1 §12.7.3): /AcroForm /Fields and their
 * /Kids, with fully qualified names (§12.7.3.2) and the inheritable /FT and /V.
 */
import { AppError } from '../../shared/errors.js';
import { PdfRef, PdfString, isName, isRef, type PdfDict, type PdfValue } from './objects.js';
import type { PdfReader } from './reader.js';

export interface FormField {
  /** Reference of the field dictionary (undefined for a direct field object, rare). */
  ref: PdfRef | undefined;
  dict: PdfDict;
  /** Fully qualified name, parts joined with "." (§12.7.3.2). */
  name: string;
  /** Field type (/Btn, /Tx, /Ch, /Sig), inherited from ancestors. */
  type: string | undefined;
  /** Field value (/V), inherited; for signature fields the signature dictionary reference. */
  value: PdfValue | undefined;
}

const MAX_FIELDS = 100_000;
const MAX_DEPTH = 64;

/** All terminal fields (fields whose kids are only widgets, or who have no kids). */
export async function listFields(reader: PdfReader): Promise<FormField[]> {
  const cat = await reader.catalog();
  const acro = await reader.resolveDict(cat.get('AcroForm'));
  if (!acro) return [];
  const fields = await reader.resolve(acro.get('Fields'));
  if (!Array.isArray(fields)) return [];
  const out: FormField[] = [];
  const seen = new Set<number>();
  let visited = 0;

  const walk = async (v: PdfValue, parentName: string, ft: string | undefined, val: PdfValue | undefined, depth: number) => {
    if (depth > MAX_DEPTH) throw new AppError('PDF_ERR_MALFORMED', 'Form field tree too deep');
    if (++visited > MAX_FIELDS) throw new AppError('PDF_ERR_UNSUPPORTED', 'Too many form fields');
    const ref = isRef(v) ? v : undefined;
    if (ref) {
      if (seen.has(ref.num)) return; // cycle or shared kid
      seen.add(ref.num);
    }
    const dict = await reader.resolveDict(v);
    if (!dict) return;
    const t = dict.get('T');
    const partial = t instanceof PdfString ? t.asText() : undefined;
    const name = partial === undefined ? parentName : parentName ? `${parentName}.${partial}` : partial;
    const ftHere = dict.get('FT');
    const type = isName(ftHere) ? ftHere.name : ft;
    const value = dict.has('V') ? dict.get('V') : val;
    const kids = await reader.resolve(dict.get('Kids'));
    // Kids that carry /T are fields; kids without /T are widget annotations of this field.
    const fieldKids: PdfValue[] = [];
    if (Array.isArray(kids)) {
      for (const k of kids) {
        const kd = await reader.resolveDict(k);
        if (kd && kd.has('T')) fieldKids.push(k);
      }
    }
    if (fieldKids.length === 0) {
      if (partial !== undefined || parentName) out.push({ ref, dict, name, type, value });
      return;
    }
    for (const k of fieldKids) await walk(k, name, type, value, depth + 1);
  };

  for (const f of fields) await walk(f, '', undefined, undefined, 0);
  return out;
}

/** Whether a signature field holds a signature (its /V is a signature dictionary, §12.7.4.5). */
export async function isSigned(reader: PdfReader, field: FormField): Promise<boolean> {
  if (field.type !== 'Sig' || field.value === undefined) return false;
  return (await reader.resolveDict(field.value)) !== undefined;
}
