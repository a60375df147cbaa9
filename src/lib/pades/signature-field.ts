/**
 * Adds a signature field with its widget annotation (merged field/widget dictionary, ISO
 * 32000-1 §12.7.4.5 and §12.5.6.19) to a page, and creates or extends the interactive form
 * (§12.7.2, /SigFlags 3 = SignaturesExist | AppendOnly). Only the objects that must change are
 * rewritten: the new field, the page (or its /Annots array), the AcroForm (or its /Fields
 * array, or the catalog when the AcroForm is direct or absent). Earlier fields are untouched.
 */
import { AppError } from '../../shared/errors.js';
import { listFields } from '../pdf/acroform.js';
import { N, PdfDict, PdfRef, PdfString, isDict, isRef, type ObjectAllocator, type PdfValue } from '../pdf/objects.js';
import type { PdfReader } from '../pdf/reader.js';
import type { IncrementalWriter } from '../pdf/writer.js';

/** A visible appearance: the caller's builder adds the form XObject and returns its reference. */
export interface SignatureAppearance {
  /** 0-based page index. */
  page: number;
  /** [x1, y1, x2, y2] in default user space of the page (points from the bottom-left). */
  rect: readonly [number, number, number, number];
  /**
   * `pageRotate` is the page's effective /Rotate (inheritable, §7.7.3.3) so the builder can set
   * the form /Matrix that keeps the appearance upright on rotated pages.
   */
  build(alloc: ObjectAllocator, box: { width: number; height: number }, options?: { pageRotate?: number }): PdfRef;
}

export interface FieldOptions {
  /** Partial field name (/T); made unique among existing fields. Default "Signature<n>". */
  fieldName?: string;
  /** Page of an invisible widget (0-based, default 0). Ignored with an appearance. */
  page?: number;
  appearance?: SignatureAppearance;
}

/** Annotation flags (§12.5.3): Print (4) + Locked (128). */
const WIDGET_FLAGS = 132;

/** Name not used by any existing field (fully qualified or top-level partial). */
export async function uniqueFieldName(reader: PdfReader, wanted: string | undefined): Promise<string> {
  const used = new Set<string>();
  for (const f of await listFields(reader)) {
    used.add(f.name);
    used.add(f.name.split('.')[0]!);
  }
  if (wanted !== undefined) {
    if (wanted === '' || wanted.includes('.') || wanted.length > 120) {
      throw new AppError('API_ERR_INVALID_PARAMETER', 'Signature field names must be 1-120 characters without "."');
    }
    if (!used.has(wanted)) return wanted;
    for (let k = 2; ; k++) if (!used.has(`${wanted}_${k}`)) return `${wanted}_${k}`;
  }
  for (let k = 1; ; k++) if (!used.has(`Signature${k}`)) return `Signature${k}`;
}

function checkRect(r: readonly number[], page: { mediaBox: number[] }): void {
  const [x1, y1, x2, y2] = r;
  if (r.length !== 4 || !r.every((n) => typeof n === 'number' && Number.isFinite(n)) || !(x2! > x1!) || !(y2! > y1!)) {
    throw new AppError('PDF_ERR_BAD_RECTANGLE', 'The signature rectangle must be x1,y1,x2,y2 with x2 > x1 and y2 > y1');
  }
  const [mx1, my1, mx2, my2] = page.mediaBox;
  if (x2! <= mx1! || y2! <= my1! || x1! >= mx2! || y1! >= my2!) {
    throw new AppError('PDF_ERR_BAD_RECTANGLE', 'The signature rectangle lies outside the page');
  }
}

/**
 * Queues the field, widget and form changes on `writer`; `sigValue` is the signature dictionary
 * reference stored in the field's /V. Returns the field name used.
 */
export async function addSignatureField(reader: PdfReader, writer: IncrementalWriter, sigValue: PdfRef, o: FieldOptions): Promise<{ fieldName: string; fieldRef: PdfRef; pageIndex: number }> {
  const pageIndex = o.appearance ? o.appearance.page : (o.page ?? 0);
  const page = await reader.getPage(pageIndex);
  const fieldName = await uniqueFieldName(reader, o.fieldName);

  const widget = new PdfDict({
    Type: N('Annot'),
    Subtype: N('Widget'),
    FT: N('Sig'),
    T: PdfString.text(fieldName),
    V: sigValue,
    F: WIDGET_FLAGS,
    P: page.ref,
  });
  if (o.appearance) {
    const r = o.appearance.rect;
    checkRect(r, page);
    widget.set('Rect', [...r]);
    const ap = o.appearance.build(writer, { width: r[2] - r[0], height: r[3] - r[1] }, { pageRotate: page.rotate });
    widget.set('AP', new PdfDict({ N: ap }));
  } else {
    // Invisible signature: zero-size rectangle, no appearance needed (§12.7.4.5 NOTE).
    widget.set('Rect', [0, 0, 0, 0]);
  }
  const fieldRef = writer.add(widget);

  await addToPageAnnots(reader, writer, page.ref, fieldRef);
  await addToAcroForm(reader, writer, fieldRef);
  return { fieldName, fieldRef, pageIndex };
}

/**
 * The current value of an object of the file in this revision (queued change first, then the
 * file). `ref` always comes from the file: a dangling one is null (§7.3.10) even when its
 * number is one this revision allocated for a new object (seen in damaged files).
 */
async function current(reader: PdfReader, writer: IncrementalWriter, ref: PdfRef): Promise<PdfValue> {
  if (!reader.has(ref.num)) return null;
  const p = writer.pending(ref);
  if (p !== undefined) return p as PdfValue;
  return reader.getObject(ref);
}

/** Like `current`, for objects that must be dictionaries (page, catalog). */
async function currentDict(reader: PdfReader, writer: IncrementalWriter, ref: PdfRef, what: string): Promise<PdfDict> {
  const v = await current(reader, writer, ref);
  if (!isDict(v)) throw new AppError('PDF_ERR_MALFORMED', `The ${what} object is not a dictionary`);
  return v;
}

async function addToPageAnnots(reader: PdfReader, writer: IncrementalWriter, pageRef: PdfRef, widget: PdfRef): Promise<void> {
  const annots = (await currentDict(reader, writer, pageRef, 'page')).get('Annots');
  if (isRef(annots)) {
    // The /Annots array is its own object: change that object, not the page.
    const arr = await current(reader, writer, annots);
    if (Array.isArray(arr)) {
      writer.set(annots, [...arr, widget]);
      return;
    }
  }
  const page = (await currentDict(reader, writer, pageRef, 'page')).clone();
  const existing = page.get('Annots');
  page.set('Annots', Array.isArray(existing) ? [...existing, widget] : [widget]);
  writer.set(pageRef, page);
}

async function addToAcroForm(reader: PdfReader, writer: IncrementalWriter, field: PdfRef): Promise<void> {
  const rootRef = reader.rootRef;
  const catalog = await currentDict(reader, writer, rootRef, 'catalog');
  const acroVal = catalog.get('AcroForm');
  const extend = async (acro: PdfDict): Promise<PdfDict> => {
    const out = acro.clone();
    const fields = out.get('Fields');
    if (isRef(fields)) {
      const arr = await current(reader, writer, fields);
      if (Array.isArray(arr)) writer.set(fields, [...arr, field]);
      else out.set('Fields', [field]);
    } else out.set('Fields', Array.isArray(fields) ? [...fields, field] : [field]);
    const flags = out.get('SigFlags');
    out.set('SigFlags', (typeof flags === 'number' ? flags : 0) | 3);
    return out;
  };
  if (isRef(acroVal)) {
    const acro = await current(reader, writer, acroVal);
    if (isDict(acro)) {
      writer.set(acroVal, await extend(acro));
      return;
    }
  }
  const cat = catalog.clone();
  if (isDict(acroVal)) cat.set('AcroForm', await extend(acroVal));
  else cat.set('AcroForm', writer.add(new PdfDict({ Fields: [field], SigFlags: 3 })));
  writer.set(rootRef, cat);
}
