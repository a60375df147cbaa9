/**
 * Hand-written PDFs for the test corpus: small, exact files whose structure we control (xref
 * table / xref stream with PNG predictor and object streams / hybrid /XRefStm, any header
 * version, balanced page trees, junk around the file). Independent of the code under test.
 */
import { deflateSync } from 'node:zlib';

export type BuildXref = 'table' | 'stream' | 'hybrid';

export interface BuildOptions {
  version?: string;
  pages?: number;
  xref?: BuildXref;
  /** Page tree fan-out; a small value gives deep trees. */
  fanout?: number;
  junkBefore?: string;
  junkAfter?: string;
  /** End of line used in the syntax (the xref table always uses 20-byte entries). */
  eol?: '\n' | '\r\n' | '\r';
  /** Extra catalog entries, raw PDF syntax, e.g. "/PageMode /UseNone". */
  catalogExtra?: string;
  /** Page size in points. */
  mediaBox?: [number, number, number, number];
  /** Write /ID and /Info in the trailer. */
  withId?: boolean;
  /** Inherit MediaBox from the root /Pages node instead of each page. */
  inheritMediaBox?: boolean;
  /** Put a text annotation on the first page, with /Annots as a direct or an indirect array. */
  annotations?: 'direct' | 'indirect';
}

interface Obj {
  num: number;
  body: Buffer; // everything between "n 0 obj" and "endobj"
  compressible: boolean;
}

const latin = (s: string) => Buffer.from(s, 'latin1');

function streamObj(dict: string, data: Buffer, eol: string): Buffer {
  return Buffer.concat([latin(`<< ${dict} /Length ${data.length} >>${eol}stream\n`), data, latin(`${eol}endstream`)]);
}

/** PNG "Up" predictor (type 2) on fixed-width rows, as producers use for xref streams. */
function pngUp(rows: Buffer[], width: number): Buffer {
  const out: Buffer[] = [];
  let prev: Buffer = Buffer.alloc(width);
  for (const r of rows) {
    const line = Buffer.alloc(width + 1);
    line[0] = 2;
    for (let i = 0; i < width; i++) line[i + 1] = (r[i]! - prev[i]!) & 0xff;
    out.push(line);
    prev = r;
  }
  return Buffer.concat(out);
}

export function buildPdf(opts: BuildOptions = {}): Buffer {
  const version = opts.version ?? '1.7';
  const pages = opts.pages ?? 1;
  const xref = opts.xref ?? 'table';
  const eol = opts.eol ?? '\n';
  const fanout = opts.fanout ?? 16;
  const box = opts.mediaBox ?? [0, 0, 595, 842];
  const objs: Obj[] = [];
  let next = 1;
  const alloc = () => next++;
  const catalogNum = alloc();
  const fontNum = alloc();
  const infoNum = alloc();
  const annotNum = opts.annotations ? alloc() : 0;
  const annotsArrayNum = opts.annotations === 'indirect' ? alloc() : 0;

  // Pages: leaves first, then group into /Pages nodes of `fanout` kids up to one root.
  const pageNums: number[] = [];
  const parentOf = new Map<number, number>();
  for (let i = 0; i < pages; i++) pageNums.push(alloc());
  const contentNums = pageNums.map(() => alloc());
  let level: { num: number; count: number }[] = pageNums.map((n) => ({ num: n, count: 1 }));
  const nodes: { num: number; kids: number[]; count: number }[] = [];
  do {
    const up: { num: number; count: number }[] = [];
    for (let i = 0; i < level.length; i += fanout) {
      const group = level.slice(i, i + fanout);
      const num = alloc();
      const count = group.reduce((a, g) => a + g.count, 0);
      for (const g of group) parentOf.set(g.num, num);
      nodes.push({ num, kids: group.map((g) => g.num), count });
      up.push({ num, count });
    }
    level = up;
  } while (level.length > 1);
  const rootPages = level[0]!.num;
  const boxStr = `[${box.join(' ')}]`;

  objs.push({ num: catalogNum, body: latin(`<< /Type /Catalog /Pages ${rootPages} 0 R ${opts.catalogExtra ?? ''} >>`), compressible: true });
  objs.push({ num: fontNum, body: latin('<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>'), compressible: true });
  objs.push({ num: infoNum, body: latin('<< /Producer (oneshot test corpus) /Title (Corpus document) >>'), compressible: true });
  for (const n of nodes) {
    const parent = parentOf.get(n.num);
    const media = n.num === rootPages && opts.inheritMediaBox ? ` /MediaBox ${boxStr}` : '';
    objs.push({
      num: n.num,
      body: latin(`<< /Type /Pages /Kids [${n.kids.map((k) => `${k} 0 R`).join(' ')}] /Count ${n.count}${parent ? ` /Parent ${parent} 0 R` : ''}${media} >>`),
      compressible: true,
    });
  }
  if (opts.annotations) {
    objs.push({
      num: annotNum,
      body: latin(`<< /Type /Annot /Subtype /Text /Rect [100 100 120 120] /Contents (A note) /P ${pageNums[0]} 0 R >>`),
      compressible: true,
    });
    if (annotsArrayNum) objs.push({ num: annotsArrayNum, body: latin(`[${annotNum} 0 R]`), compressible: true });
  }
  pageNums.forEach((p, i) => {
    const media = opts.inheritMediaBox ? '' : ` /MediaBox ${boxStr}`;
    const annots = i === 0 && opts.annotations ? (annotsArrayNum ? ` /Annots ${annotsArrayNum} 0 R` : ` /Annots [${annotNum} 0 R]`) : '';
    objs.push({
      num: p,
      body: latin(`<< /Type /Page /Parent ${parentOf.get(p)} 0 R${media}${annots} /Resources << /Font << /F1 ${fontNum} 0 R >> >> /Contents ${contentNums[i]} 0 R >>`),
      compressible: true,
    });
    const text = latin(`BT /F1 24 Tf 72 ${box[3] - 100} Td (Page ${i + 1} of ${pages}) Tj ET`);
    objs.push({ num: contentNums[i]!, body: streamObj('', text, eol), compressible: false });
  });
  objs.sort((a, b) => a.num - b.num);

  const parts: Buffer[] = [];
  let len = 0;
  const push = (b: Buffer) => {
    parts.push(b);
    len += b.length;
  };
  if (opts.junkBefore) push(latin(opts.junkBefore));
  const headerAt = len;
  push(latin(`%PDF-${version}${eol}%\xe2\xe3\xcf\xd3${eol}`));
  const off = new Map<number, number>();
  const rel = () => len - headerAt; // offsets count from the header, as qpdf and poppler read them
  const writeObj = (num: number, body: Buffer) => {
    off.set(num, rel());
    push(Buffer.concat([latin(`${num} 0 obj${eol}`), body, latin(`${eol}endobj${eol}`)]));
  };
  const trailerExtra = (opts.withId ?? true)
    ? ` /Info ${infoNum} 0 R /ID [<0123456789abcdef0123456789abcdef> <0123456789abcdef0123456789abcdef>]`
    : '';

  if (xref === 'table') {
    for (const o of objs) writeObj(o.num, o.body);
    const xrefAt = rel();
    let s = `xref${eol}0 ${next}${eol}0000000000 65535 f\r\n`;
    for (let n = 1; n < next; n++) s += `${String(off.get(n)).padStart(10, '0')} 00000 n\r\n`;
    s += `trailer${eol}<< /Size ${next} /Root ${catalogNum} 0 R${trailerExtra} >>${eol}startxref${eol}${xrefAt}${eol}%%EOF${eol}`;
    push(latin(s));
  } else {
    // Object streams: with "stream", every compressible object; with "hybrid", only the font,
    // so a PDF 1.4 reader still finds the page tree through the table (§7.5.8.4).
    const inStm = objs.filter((o) => o.compressible && (xref === 'stream' || o.num === fontNum));
    const direct = objs.filter((o) => !inStm.includes(o));
    for (const o of direct) writeObj(o.num, o.body);
    const stmNum = next++;
    const header: string[] = [];
    const bodies: Buffer[] = [];
    let pos = 0;
    for (const o of inStm) {
      header.push(`${o.num} ${pos}`);
      const b = Buffer.concat([o.body, latin(' ')]);
      bodies.push(b);
      pos += b.length;
    }
    const head = latin(header.join(' ') + ' ');
    const stmData = deflateSync(Buffer.concat([head, ...bodies]));
    writeObj(stmNum, streamObj(`/Type /ObjStm /N ${inStm.length} /First ${head.length} /Filter /FlateDecode`, stmData, eol));
    const xrefNum = next++;
    const size = next;
    // W [1 3 2]: type, 3-byte offset or object-stream number, 2-byte generation or index.
    const rowsFor = (nums: number[]) =>
      nums.map((n) => {
        const r = Buffer.alloc(6);
        const idx = inStm.findIndex((o) => o.num === n);
        const put3 = (v: number) => {
          r[1] = (v >>> 16) & 0xff;
          r[2] = (v >>> 8) & 0xff;
          r[3] = v & 0xff;
        };
        if (n === 0) {
          r[0] = 0;
          r.writeUInt16BE(65535, 4);
        } else if (idx >= 0) {
          r[0] = 2;
          put3(stmNum);
          r.writeUInt16BE(idx, 4);
        } else {
          r[0] = 1;
          put3(off.get(n) ?? 0);
        }
        return r;
      });
    if (xref === 'stream') {
      off.set(xrefNum, rel());
      const all = Array.from({ length: size }, (_, i) => i);
      const rows = rowsFor(all);
      const data = deflateSync(pngUp(rows, 6));
      const dict = `/Type /XRef /Size ${size} /W [1 3 2] /Root ${catalogNum} 0 R${trailerExtra} /Filter /FlateDecode /DecodeParms << /Predictor 12 /Columns 6 >>`;
      const xrefAt = rel();
      push(Buffer.concat([latin(`${xrefNum} 0 obj${eol}`), streamObj(dict, data, eol), latin(`${eol}endobj${eol}`)]));
      push(latin(`startxref${eol}${xrefAt}${eol}%%EOF${eol}`));
    } else {
      // Hybrid: the xref stream describes only the compressed objects and the object stream.
      const xsAt = rel();
      const nums = inStm.map((o) => o.num).sort((a, b) => a - b);
      const index: number[] = [];
      for (const n of nums) index.push(n, 1);
      const rows = rowsFor(nums);
      const data = deflateSync(pngUp(rows, 6));
      const dict = `/Type /XRef /Size ${size} /W [1 3 2] /Index [${index.join(' ')}] /Filter /FlateDecode /DecodeParms << /Predictor 12 /Columns 6 >>`;
      push(Buffer.concat([latin(`${xrefNum} 0 obj${eol}`), streamObj(dict, data, eol), latin(`${eol}endobj${eol}`)]));
      const xrefAt = rel();
      let s = `xref${eol}0 ${size}${eol}`;
      for (let n = 0; n < size; n++) {
        const o = off.get(n);
        // Compressed objects and the xref stream itself are free in the table (§7.5.8.4).
        if (n === 0) s += '0000000000 65535 f\r\n';
        else if (o === undefined || n === xrefNum) s += '0000000000 00000 f\r\n';
        else s += `${String(o).padStart(10, '0')} 00000 n\r\n`;
      }
      s += `trailer${eol}<< /Size ${size} /Root ${catalogNum} 0 R${trailerExtra} /XRefStm ${xsAt} >>${eol}startxref${eol}${xrefAt}${eol}%%EOF${eol}`;
      push(latin(s));
    }
  }
  if (opts.junkAfter) push(latin(opts.junkAfter));
  return Buffer.concat(parts);
}

/**
 * Appends a plain incremental update changing the /Info title, `count` times, giving a long
 * /Prev chain. Written independently of the library (classic table sections).
 */
export function addRevisions(pdf: Buffer, count: number): Buffer {
  let cur = pdf;
  for (let i = 0; i < count; i++) {
    const text = cur.toString('latin1');
    const sx = text.lastIndexOf('startxref');
    const prev = Number(/startxref\s+(\d+)/.exec(text.slice(sx))![1]);
    const tr = text.lastIndexOf('trailer');
    const trailer = text.slice(tr, sx);
    const size = Number(/\/Size (\d+)/.exec(trailer)![1]);
    const root = /\/Root (\d+ \d+ R)/.exec(trailer)![1];
    const num = size;
    const objAt = cur.length;
    const obj = `${num} 0 obj\n<< /Producer (revision ${i + 1}) >>\nendobj\n`;
    const xrefAt = objAt + obj.length;
    const inc =
      obj +
      `xref\n${num} 1\n${String(objAt).padStart(10, '0')} 00000 n\r\n` +
      `trailer\n<< /Size ${num + 1} /Root ${root} /Info ${num} 0 R /Prev ${prev} >>\nstartxref\n${xrefAt}\n%%EOF\n`;
    cur = Buffer.concat([cur, Buffer.from(inc, 'latin1')]);
  }
  return cur;
}

/** A classic-xref PDF from raw object bodies (object i+1 = bodies[i]); for odd shapes by hand. */
export function classicPdf(bodies: string[], opts: { version?: string; trailer?: string } = {}): Buffer {
  let s = `%PDF-${opts.version ?? '1.7'}\n`;
  const off: number[] = [];
  bodies.forEach((b, i) => {
    off.push(s.length);
    s += `${i + 1} 0 obj\n${b}\nendobj\n`;
  });
  const xrefAt = s.length;
  s += `xref\n0 ${bodies.length + 1}\n0000000000 65535 f\r\n`;
  for (const o of off) s += `${String(o).padStart(10, '0')} 00000 n\r\n`;
  s += `trailer\n<< /Size ${bodies.length + 1} /Root 1 0 R ${opts.trailer ?? ''} >>\nstartxref\n${xrefAt}\n%%EOF\n`;
  return Buffer.from(s, 'latin1');
}

/**
 * Appends one update whose cross-reference section is an (uncompressed) xref stream, to a file
 * whose last section is a classic table: a mixed /Prev chain as some editors produce.
 */
export function addXrefStreamRevision(pdf: Buffer): Buffer {
  const text = pdf.toString('latin1');
  const sx = text.lastIndexOf('startxref');
  const prev = Number(/startxref\s+(\d+)/.exec(text.slice(sx))![1]);
  const trailer = text.slice(text.lastIndexOf('trailer'), sx);
  const size = Number(/\/Size (\d+)/.exec(trailer)![1]);
  const root = /\/Root (\d+ \d+ R)/.exec(trailer)![1];
  const objAt = pdf.length;
  const obj = Buffer.from(`${size} 0 obj\n<< /Producer (xref stream update) >>\nendobj\n`, 'latin1');
  const xsAt = objAt + obj.length;
  const row = (type: number, a: number, b: number) => {
    const r = Buffer.alloc(7);
    r[0] = type;
    r.writeUInt32BE(a, 1);
    r.writeUInt16BE(b, 5);
    return r;
  };
  const data = Buffer.concat([row(1, objAt, 0), row(1, xsAt, 0)]);
  const head = Buffer.from(
    `${size + 1} 0 obj\n<< /Type /XRef /Size ${size + 2} /Root ${root} /Info ${size} 0 R /Prev ${prev} /W [1 4 2] /Index [${size} 2] /Length ${data.length} >>\nstream\n`,
    'latin1',
  );
  const tail = Buffer.from(`\nendstream\nendobj\nstartxref\n${xsAt}\n%%EOF\n`, 'latin1');
  return Buffer.concat([pdf, obj, head, data, tail]);
}
