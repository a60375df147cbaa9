/**
 * /ToUnicode CMap (ISO 32000-1 §9.10.3) for a font used with 2-byte codes, so that text
 * extraction, search and accessibility recover the signer's name from the glyphs.
 * Format per Adobe Technical Note #5411 (ToUnicode mapping file tutorial).
 */

const hex4 = (n: number) => n.toString(16).toUpperCase().padStart(4, '0');

/** UTF-16BE hex of a code point sequence (surrogate pairs for astral planes). */
function utf16Hex(codePoints: readonly number[]): string {
  let out = '';
  for (const cp of codePoints) {
    if (cp > 0xffff) {
      const v = cp - 0x10000;
      out += hex4(0xd800 + (v >> 10)) + hex4(0xdc00 + (v & 0x3ff));
    } else out += hex4(cp);
  }
  return out;
}

/** Builds the CMap text for `map` (code → Unicode code points). Codes are emitted in ascending order. */
export function buildToUnicodeCMap(map: ReadonlyMap<number, readonly number[]>): string {
  const entries = [...map.entries()].filter(([, cps]) => cps.length > 0).sort((a, b) => a[0] - b[0]);
  const lines = [
    '/CIDInit /ProcSet findresource begin',
    '12 dict begin',
    'begincmap',
    '/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def',
    '/CMapName /Adobe-Identity-UCS def',
    '/CMapType 2 def',
    '1 begincodespacerange',
    '<0000> <FFFF>',
    'endcodespacerange',
  ];
  // At most 100 entries per bfchar block (§9.10.3, TN #5411).
  for (let i = 0; i < entries.length; i += 100) {
    const block = entries.slice(i, i + 100);
    lines.push(`${block.length} beginbfchar`);
    for (const [code, cps] of block) lines.push(`<${hex4(code)}> <${utf16Hex(cps)}>`);
    lines.push('endbfchar');
  }
  lines.push('endcmap', 'CMapName currentdict /CMap defineresource pop', 'end', 'end');
  return lines.join('\n') + '\n';
}
