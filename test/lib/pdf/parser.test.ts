import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deflateSync } from 'node:zlib';
import { NeedMoreInput, Parser } from '../../../src/lib/pdf/parser.js';
import { decodeStream } from '../../../src/lib/pdf/filters.js';
import { PdfDict, PdfName, PdfRef, PdfString, latin1, serialize, type PdfValue } from '../../../src/lib/pdf/objects.js';
import { AppError } from '../../../src/shared/errors.js';

const parse = (s: string): PdfValue => new Parser(latin1(s)).parseValue();

test('literal strings: escapes, octal, balanced parentheses, line continuation (§7.3.4.2)', () => {
  const v = parse('(a\\(b\\)c (nested) \\101\\12\\0053 \\\\ \\n\\r\\t\\b\\f x\\\ny)') as PdfString;
  assert.deepEqual(
    Buffer.from(v.bytes).toString('latin1'),
    'a(b)c (nested) A\n\x053 \\ \n\r\t\b\f xy',
  );
});

test('hex strings, odd digit count and white space (§7.3.4.3)', () => {
  const v = parse('<48 65 6C6C 6F7>') as PdfString;
  assert.equal(Buffer.from(v.bytes).toString('latin1'), 'Hello\x70');
  assert.equal(v.hex, true);
});

test('names with #xx escapes (§7.3.5)', () => {
  assert.equal((parse('/A#20B#2fC') as PdfName).name, 'A B/C');
  assert.equal((parse('/Adobe.PPKLite') as PdfName).name, 'Adobe.PPKLite');
});

test('numbers, references and keywords', () => {
  assert.deepEqual(parse('[1 2 R 3 -4.5 .5 +7 true false null 12 0 R]'), [new PdfRef(1, 2), 3, -4.5, 0.5, 7, true, false, null, new PdfRef(12, 0)]);
  assert.deepEqual(parse('[1 2]'), [1, 2]);
  assert.throws(() => parse('[1 2 Rx]'), (e) => e instanceof AppError && e.code === 'PDF_ERR_MALFORMED');
});

test('numbers in exponent notation (not PDF syntax, written by some producers) are read and written back plainly', () => {
  const d = parse('<< /Rect [1.5e-05 2E2 -3e+1 .5e1 1e400] /Big 1e25 /N 4 >>') as PdfDict;
  assert.deepEqual(d.get('Rect'), [0.000015, 200, -30, 5, 0]);
  assert.equal(d.get('N'), 4);
  const out = Buffer.from(serialize(d)).toString('latin1');
  assert.doesNotMatch(out, /\d[eE][+-]?\d/, out);
  assert.match(out, /\/Big 10000000000000000905969664/);
  assert.match(out, /\/Rect \[0\.000015 200 -30 5 0\]/);
  // Words still are not numbers.
  assert.throws(() => parse('[1 e5]'), (e) => e instanceof AppError && e.code === 'PDF_ERR_MALFORMED');
});

test('dictionaries drop null values and parse nested structures; comments are white space', () => {
  const d = parse('<< /A 1 % comment\n /B null /C << /D [/E (f)] >> >>') as PdfDict;
  assert.equal(d.get('A'), 1);
  assert.equal(d.has('B'), false);
  const c = d.get('C') as PdfDict;
  const arr = c.get('D') as PdfValue[];
  assert.equal((arr[0] as PdfName).name, 'E');
});

test('serialize ∘ parse is the identity on values', () => {
  const src = '<</Type /Sig /Filter /Adobe.PPKLite /M (D:20260101120000+01\'00\') /Name <feff0041> /R [1 0 R 2.5 -3] /T (a\\(b\\)) /N#20x true>>';
  const v = parse(src);
  const again = parse(Buffer.from(serialize(v)).toString('latin1'));
  assert.deepEqual(serialize(again), serialize(v));
});

test('a window ending inside an object asks for more input; at EOF it is malformed', () => {
  const text = latin1('12 0 obj << /Kids [1 0 R 2 0 R 3 0');
  assert.throws(() => new Parser(text, 0, false).parseIndirect(), NeedMoreInput);
  assert.throws(() => new Parser(text, 0, true).parseIndirect(), (e) => e instanceof AppError && e.code === 'PDF_ERR_MALFORMED');
  // A number cut at the window edge could continue: "1" might be "12".
  assert.throws(() => new Parser(latin1('[1'), 0, false).parseValue(), NeedMoreInput);
});

test('stream header: data offset after the EOL following "stream"', () => {
  const text = latin1('5 0 obj\n<< /Length 3 >>\r\nstream\r\nabc\nendstream\nendobj');
  const o = new Parser(text, 100).parseIndirect();
  assert.equal(o.num, 5);
  assert.equal(o.stream!.dataOffset, 100 + Buffer.from(text).indexOf('abc\nendstream'));
});

test('FlateDecode with PNG predictors (all five row filters) and TIFF predictor 2', () => {
  const rows = [
    [0, 1, 2, 3, 4, 5],
    [1, 1, 1, 1, 1, 1], // Sub
    [2, 1, 1, 1, 1, 1], // Up
    [3, 2, 2, 2, 2, 2], // Average
    [4, 3, 3, 3, 3, 3], // Paeth
  ];
  const enc = deflateSync(Buffer.from(rows.flat()));
  const dict = new PdfDict({ Filter: PdfName.of('FlateDecode'), DecodeParms: new PdfDict({ Predictor: 12, Columns: 5 }) });
  const out = decodeStream(dict, enc);
  // Expected values computed by hand from the PNG spec (RFC 2083 §6).
  const r0 = [1, 2, 3, 4, 5];
  const r1 = [1, 2, 3, 4, 5]; // Sub: running sum of 1s
  const r2 = r1.map((x) => x + 1); // Up
  const r3: number[] = [];
  r2.forEach((up, i) => r3.push((2 + ((i ? r3[i - 1]! : 0) + up >> 1)) & 0xff));
  assert.deepEqual([...out.subarray(0, 5)], r0);
  assert.deepEqual([...out.subarray(5, 10)], r1);
  assert.deepEqual([...out.subarray(10, 15)], r2);
  assert.deepEqual([...out.subarray(15, 20)], r3);
  assert.equal(out.length, 25);
  const tiff = decodeStream(new PdfDict({ Filter: PdfName.of('FlateDecode'), DecodeParms: new PdfDict({ Predictor: 2, Columns: 3 }) }), deflateSync(Buffer.from([1, 1, 1, 5, 1, 1])));
  assert.deepEqual([...tiff], [1, 2, 3, 5, 6, 7]);
});

test('names keep their bytes through parse and serialize (§7.3.5), escaped or raw, any byte value', () => {
  const bytesOf = (s: string) => Buffer.from(serialize(new Parser(Buffer.from(s, 'latin1')).parseValue())).toString('latin1');
  // Shift-JIS font name (common in Japanese files), a Latin-1 byte, a UTF-8 sequence.
  assert.equal(bytesOf('/#82l#82r#83S#83V#83b#83N'), '/#82l#82r#83S#83V#83b#83N');
  assert.equal(bytesOf('/F#e9'), '/F#e9');
  assert.equal(bytesOf('/F\xe9'), '/F#e9');
  assert.equal(bytesOf('/F\xc3\xa9'), '/F#c3#a9');
  // Dictionary keys too: a page's /Resources names must still match its content stream.
  assert.equal(bytesOf('<< /Font << /F\xe9 4 0 R >> >>'), '<</Font <</F#e9 4 0 R\n>>\n>>');
  // Names made in code with wider characters are written as UTF-8.
  assert.equal(Buffer.from(serialize(PdfName.of('Ω'))).toString('latin1'), '/#ce#a9');
});

test('very long tokens parse without overflowing the stack', () => {
  const long = 'A'.repeat(300_000);
  assert.equal((parse(`/${long}`) as PdfName).name.length, 300_000);
  assert.deepEqual(parse(`[1 ${'0'.repeat(300_000)}1 R]`), [new PdfRef(1, 1)]);
  assert.equal((parse(`(${long})`) as PdfString).bytes.length, 300_000);
  assert.equal((parse(`<${'41'.repeat(300_000)}>`) as PdfString).bytes.length, 300_000);
});

test('strings and dictionaries cut at the window edge ask for more input', () => {
  const more = (s: string) => assert.throws(() => new Parser(latin1(s), 0, false).parseValue(), NeedMoreInput, s);
  more('(unterminated');
  more('(ends in an escape \\');
  more('<414243');
  // A key without a value is tolerated before ">>", wherever the window happens to end.
  more('<< /Type /Catalog /K>');
  assert.deepEqual([...(parse('<< /Type /Catalog /K>>') as PdfDict).map.keys()], ['Type']);
});

test('absurd predictor parameters are refused, never sized into an allocation', () => {
  const data = deflateSync(Buffer.alloc(64));
  const cases: Record<string, number>[] = [{ Columns: -5 }, { Columns: 1.5 }, { Columns: 2 ** 31 }, { Colors: 0 }, { Colors: 1e9 }];
  for (const parms of cases) {
    const dict = new PdfDict({ Filter: PdfName.of('FlateDecode'), DecodeParms: new PdfDict({ Predictor: 12, ...parms }) });
    assert.throws(() => decodeStream(dict, data), (e) => e instanceof AppError && e.code === 'PDF_ERR_MALFORMED', JSON.stringify(parms));
  }
});
