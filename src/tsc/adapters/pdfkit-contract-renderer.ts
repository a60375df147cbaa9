/**
 * Renders the service contract with pdfkit and the DejaVu Sans font (full Latin Extended-A, so
 * Spanish and Polish text renders: ñ, á, ł, ś, ż …). The output is deterministic for a given content:
 * CreationDate comes from the content and pdfkit derives the file /ID from the info dictionary.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import PDFDocument from 'pdfkit';
import type { ContractContent } from '../domain/contract/contract-content.js';
import type { ContractRenderer } from '../domain/ports.js';

function fontDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('dejavu-fonts-ttf/package.json')), 'ttf');
}

export class PdfkitContractRenderer implements ContractRenderer {
  private readonly regular: Buffer;
  private readonly bold: Buffer;

  constructor(dir: string = fontDir()) {
    this.regular = readFileSync(join(dir, 'DejaVuSans.ttf'));
    this.bold = readFileSync(join(dir, 'DejaVuSans-Bold.ttf'));
  }

  render(c: ContractContent): Promise<Uint8Array> {
    const doc = new PDFDocument({
      size: 'A4',
      margin: 56,
      compress: true,
      lang: c.language.toLowerCase(),
      info: { Title: c.title, Subject: c.subject, Creator: 'One-Shot TSC', Producer: 'One-Shot TSC', CreationDate: c.date, ModDate: c.date },
    });
    const chunks: Buffer[] = [];
    const done = new Promise<Uint8Array>((resolve, reject) => {
      doc.on('data', (b: Buffer) => chunks.push(b));
      doc.on('end', () => resolve(new Uint8Array(Buffer.concat(chunks))));
      doc.on('error', reject);
    });
    doc.registerFont('body', this.regular);
    doc.registerFont('bold', this.bold);

    doc.font('bold').fontSize(15).text(c.title, { align: 'left' });
    doc.moveDown(1);
    const labelWidth = 170;
    doc.fontSize(10);
    for (const [label, value] of c.rows) {
      const y = doc.y;
      doc.font('bold').text(label, doc.page.margins.left, y, { width: labelWidth });
      const yAfterLabel = doc.y;
      doc.font('body').text(value, doc.page.margins.left + labelWidth, y, { width: doc.page.width - doc.page.margins.right - doc.page.margins.left - labelWidth });
      doc.y = Math.max(doc.y, yAfterLabel) + 2;
    }
    doc.x = doc.page.margins.left;
    doc.moveDown(1);
    for (const s of c.sections) {
      doc.font('bold').fontSize(12).text(s.heading);
      doc.moveDown(0.3);
      for (const p of s.paragraphs) {
        doc.font('body').fontSize(10).text(p, { align: 'justify' });
        doc.moveDown(0.5);
      }
      doc.moveDown(0.3);
    }
    doc.moveDown(1);
    doc.font('bold').fontSize(10).text(c.signatureNote);
    doc.font('body').fontSize(8).text(c.footer, doc.page.margins.left, doc.page.height - doc.page.margins.bottom - 12, { lineBreak: false });
    doc.end();
    return done;
  }
}
