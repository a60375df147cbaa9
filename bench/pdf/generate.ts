/**
 * Writes a large, valid PDF by streaming (never the whole file in memory): `pages` pages, each
 * showing one uncompressed RGB image XObject of random pixels (incompressible, like scans),
 * plus a line of text; classic xref table (what @signpdf/placeholder-plain can read).
 */
import { randomFillSync } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';

export async function generatePdf(path: string, targetBytes: number): Promise<{ pages: number; size: number }> {
  // ~1 MiB images for big files, smaller ones for small files; at least 4 pages.
  const imageBytes = Math.max(16 * 1024, Math.min(1 << 20, Math.floor(targetBytes / 8)));
  const side = Math.max(8, Math.floor(Math.sqrt(imageBytes / 3)));
  const pixelBytes = side * side * 3;
  const pages = Math.max(4, Math.round(targetBytes / pixelBytes));
  const out = createWriteStream(path, { highWaterMark: 1 << 20 });
  let offset = 0;
  const offsets: number[] = [];
  const write = async (b: Buffer) => {
    offset += b.length;
    if (!out.write(b)) await once(out, 'drain');
  };
  const obj = async (num: number, body: string | Buffer, stream?: Buffer) => {
    offsets[num] = offset;
    await write(Buffer.from(`${num} 0 obj\n`, 'latin1'));
    await write(typeof body === 'string' ? Buffer.from(body, 'latin1') : body);
    if (stream) {
      await write(Buffer.from('\nstream\n', 'latin1'));
      await write(stream);
      await write(Buffer.from('\nendstream', 'latin1'));
    }
    await write(Buffer.from('\nendobj\n', 'latin1'));
  };
  await write(Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n', 'latin1'));
  // 1 catalog, 2 pages root, 3 font, then per page: page, content, image.
  const pageNum = (i: number) => 4 + i * 3;
  await obj(1, '<< /Type /Catalog /Pages 2 0 R >>');
  const kids = Array.from({ length: pages }, (_, i) => `${pageNum(i)} 0 R`).join(' ');
  await obj(2, `<< /Type /Pages /Count ${pages} /Kids [${kids}] >>`);
  await obj(3, '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>');
  const pixels = Buffer.allocUnsafe(pixelBytes);
  for (let i = 0; i < pages; i++) {
    const p = pageNum(i);
    await obj(p, `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> /XObject << /Im1 ${p + 2} 0 R >> >> /Contents ${p + 1} 0 R >>`);
    const content = Buffer.from(`q 500 0 0 500 47 250 cm /Im1 Do Q BT /F1 18 Tf 72 780 Td (Benchmark page ${i + 1} of ${pages}) Tj ET`, 'latin1');
    await obj(p + 1, `<< /Length ${content.length} >>`, content);
    randomFillSync(pixels);
    await obj(p + 2, `<< /Type /XObject /Subtype /Image /Width ${side} /Height ${side} /ColorSpace /DeviceRGB /BitsPerComponent 8 /Length ${pixelBytes} >>`, pixels);
  }
  const size = pageNum(pages);
  const xrefAt = offset;
  let xref = `xref\n0 ${size}\n0000000000 65535 f\r\n`;
  for (let n = 1; n < size; n++) xref += `${String(offsets[n]).padStart(10, '0')} 00000 n\r\n`;
  xref += `trailer\n<< /Size ${size} /Root 1 0 R /ID [<6f6e6573686f7462656e6368000000aa> <6f6e6573686f7462656e6368000000aa>] >>\nstartxref\n${xrefAt}\n%%EOF\n`;
  await write(Buffer.from(xref, 'latin1'));
  out.end();
  await once(out, 'finish');
  return { pages, size: offset };
}
