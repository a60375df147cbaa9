/**
 * Test helper: lays out a complete one-page PDF around an appearance form XObject, with our own
 * object numbering and serialize(), so the appearance can be rendered and checked by poppler
 * and qpdf independently of the signature engine.
 */
import { N, PdfDict, PdfRef, PdfStream, PdfString, concatBytes, latin1, serialize, type ObjectAllocator, type PdfValue } from '../../src/lib/pdf/objects.js';
import type { VisibleAppearance } from '../../src/lib/pades/appearance/index.js';

export interface OnePageOptions {
  /** Page size in points; default A4-ish 300 × 200 to keep renders small. */
  pageSize?: [number, number];
  /** Content drawn on the page in every variant, so "outside unchanged" is a real comparison. */
  baseContent?: string;
  appearance?: VisibleAppearance;
  /** Draw the appearance as a signature widget's /AP /N (as the engine will) instead of `Do` in the page content. */
  asWidget?: boolean;
  /** Page /Rotate, also handed to build(). */
  rotate?: number;
}

export const DEFAULT_BASE_CONTENT = [
  '0.2 0.4 0.8 rg 10 10 60 30 re f',
  '0.9 0.1 0.1 RG 2 w 250 150 m 290 190 l S',
].join('\n');

/** Collects objects numbered from `first`; also the allocator handed to build(). */
export class TestAllocator implements ObjectAllocator {
  readonly objects: { ref: PdfRef; value: PdfValue }[] = [];
  constructor(private next: number) {}
  add(value: PdfValue): PdfRef {
    const ref = new PdfRef(this.next++);
    this.objects.push({ ref, value });
    return ref;
  }
  get(ref: PdfRef): PdfValue | undefined {
    return this.objects.find((o) => o.ref.equals(ref))?.value;
  }
}

export interface BuiltPdf {
  bytes: Uint8Array;
  alloc: TestAllocator;
  /** Ref of the appearance form XObject, when there is one. */
  formRef?: PdfRef;
}

export function buildOnePagePdf(opts: OnePageOptions = {}): BuiltPdf {
  const [pw, ph] = opts.pageSize ?? [300, 200];
  const alloc = new TestAllocator(5);
  const pageDict = new PdfDict({
    Type: N('Page'),
    Parent: new PdfRef(2),
    MediaBox: [0, 0, pw, ph],
    Contents: new PdfRef(4),
  });
  if (opts.rotate) pageDict.set('Rotate', opts.rotate);
  const catalog = new PdfDict({ Type: N('Catalog'), Pages: new PdfRef(2) });
  let content = opts.baseContent ?? DEFAULT_BASE_CONTENT;
  let formRef: PdfRef | undefined;
  const ap = opts.appearance;
  if (ap) {
    const [x1, y1, x2, y2] = ap.rect;
    formRef = ap.build(alloc, { width: x2 - x1, height: y2 - y1 }, opts.rotate ? { pageRotate: opts.rotate } : {});
    if (opts.asWidget) {
      const widget = alloc.add(new PdfDict({
        Type: N('Annot'),
        Subtype: N('Widget'),
        FT: N('Sig'),
        T: PdfString.text('Signature1'),
        Rect: [x1, y1, x2, y2],
        F: 4,
        P: new PdfRef(3),
        AP: new PdfDict({ N: formRef }),
      }));
      pageDict.set('Annots', [widget]);
      catalog.set('AcroForm', new PdfDict({ Fields: [widget], SigFlags: 3 }));
    } else {
      pageDict.set('Resources', new PdfDict({ XObject: new PdfDict({ Fm1: formRef }) }));
      content += `\nq 1 0 0 1 ${x1} ${y1} cm /Fm1 Do Q`;
    }
  }
  const objects: { num: number; value: PdfValue }[] = [
    { num: 1, value: catalog },
    { num: 2, value: new PdfDict({ Type: N('Pages'), Kids: [new PdfRef(3)], Count: 1 }) },
    { num: 3, value: pageDict },
    { num: 4, value: new PdfStream(new PdfDict(), latin1(content + '\n')) },
    ...alloc.objects.map((o) => ({ num: o.ref.num, value: o.value })),
  ];
  const chunks: Uint8Array[] = [latin1('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n')];
  let offset = chunks[0]!.length;
  const offsets = new Map<number, number>();
  for (const o of objects) {
    offsets.set(o.num, offset);
    const body = concatBytes([latin1(`${o.num} 0 obj\n`), serialize(o.value), latin1('\nendobj\n')]);
    chunks.push(body);
    offset += body.length;
  }
  const size = Math.max(...objects.map((o) => o.num)) + 1;
  let xref = `xref\n0 ${size}\n0000000000 65535 f \n`;
  for (let n = 1; n < size; n++) {
    const off = offsets.get(n);
    xref += off === undefined ? '0000000000 65535 f \n' : `${String(off).padStart(10, '0')} 00000 n \n`;
  }
  chunks.push(latin1(xref));
  chunks.push(latin1('trailer\n'), serialize(new PdfDict({ Size: size, Root: new PdfRef(1) })));
  chunks.push(latin1(`\nstartxref\n${offset}\n%%EOF\n`));
  return { bytes: concatBytes(chunks), alloc, ...(formRef ? { formRef } : {}) };
}
