/**
 * Content-stream operators that show shaped text with a CID font (ISO 32000-1 §9.4).
 * Glyph codes are the subset's CIDs written as 2-byte hex strings (Identity-H). Where the
 * shaped advance differs from the /W width (kerning) or a mark is offset, the difference goes
 * into the TJ array (§9.4.3: a number n moves the pen by −n/1000 × font size); vertical mark
 * offsets use the text rise (Ts, §9.3.7).
 */
import type { FontSubset } from './font-subset.js';
import type { TextBlock } from './layout.js';
import { fmt } from './pdf-number.js';

const hex4 = (n: number) => n.toString(16).toUpperCase().padStart(4, '0');

export function textOperators(block: TextBlock, subset: FontSubset, unitsPerEm: number, fontName = 'F1'): string {
  const ops: string[] = ['BT', `/${fontName} ${fmt(block.fontSize)} Tf`, '0 g'];
  const toThousandths = (v: number) => (v * 1000) / unitsPerEm;
  let rise = 0;
  for (const line of block.lines) {
    if (line.glyphs.length === 0) continue;
    ops.push(`1 0 0 1 ${fmt(line.x)} ${fmt(line.y)} Tm`);
    let parts: string[] = [];
    let run = '';
    let pending = 0;
    const flushRun = () => {
      if (run) parts.push(`<${run}>`);
      run = '';
    };
    const adjust = (n: number) => {
      pending += n;
    };
    const emitPending = () => {
      const n = Math.round(pending * 1000) / 1000;
      pending = 0;
      if (n !== 0) {
        flushRun();
        parts.push(fmt(n));
      }
    };
    const endArray = () => {
      flushRun();
      if (parts.length) ops.push(`[${parts.join(' ')}] TJ`);
      parts = [];
    };
    for (const g of line.glyphs) {
      const yOff = (g.yOffset * block.fontSize) / unitsPerEm;
      if (Math.abs(yOff - rise) > 1e-6) {
        emitPending();
        endArray();
        rise = yOff;
        ops.push(`${fmt(rise)} Ts`);
      }
      const cid = subset.cidOf(g.gid);
      // Move right by xOffset before the glyph and back after it.
      adjust(-toThousandths(g.xOffset));
      emitPending();
      run += hex4(cid);
      adjust(subset.widthOf(cid) - toThousandths(g.advance) + toThousandths(g.xOffset));
    }
    pending = 0;
    endArray();
    if (rise !== 0) {
      rise = 0;
      ops.push('0 Ts');
    }
  }
  ops.push('ET');
  return ops.join('\n');
}
