import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expandTemplate, MAX_TEXT_LINES } from '../../../../src/lib/pades/appearance/index.js';
import { AppError } from '../../../../src/shared/errors.js';

const V = { CN: 'Łukasz Żółć', SUBJECT: 'CN=Łukasz Żółć,C=PL', EMAIL: 'l@example.com', L: 'Kraków', date: new Date(0) };

test('all One-Shot variables, with and without the trailing s', () => {
  assert.deepEqual(
    expandTemplate(['Signed by %(CN)s', '%(CN)', '<%(E)s> <%(EMAIL)s>', '%(SUBJECT)s in %(L)s', 'on %(DATE)s'], V, 'DATE-TEXT'),
    ['Signed by Łukasz Żółć', 'Łukasz Żółć', '<l@example.com> <l@example.com>', 'CN=Łukasz Żółć,C=PL in Kraków', 'on DATE-TEXT'],
  );
});

test('unknown directives and literal percents stay as written', () => {
  assert.deepEqual(expandTemplate(['100% sure', '%(XX)s %s %(cn)s'], V, 'd'), ['100% sure', '%(XX)s %s %(cn)s']);
});

test('a line whose variables are all empty is dropped; literal blank lines stay', () => {
  assert.deepEqual(expandTemplate(['%(CN)s', '%(EMAIL)s', '', '%(L)s'], { CN: 'A', date: new Date(0) }, 'd'), ['A', '']);
});

test('control characters removed, line breaks in values become spaces, accents composed (NFC)', () => {
  const out = expandTemplate(['%(CN)s'], { CN: 'Zo\u0301\u0142c\u0301\nNext\tX\u0007', date: new Date(0) }, 'd');
  assert.deepEqual(out, ['Zółć Next X']);
});

test('limits: too many lines or a too long template line is PDF_ERR_BAD_APPEARANCE', () => {
  const isBad = (e: unknown) => e instanceof AppError && e.code === 'PDF_ERR_BAD_APPEARANCE';
  assert.throws(() => expandTemplate(Array(MAX_TEXT_LINES + 1).fill('x'), V, 'd'), isBad);
  assert.throws(() => expandTemplate(['x'.repeat(501)], V, 'd'), isBad);
  assert.throws(() => expandTemplate([42 as unknown as string], V, 'd'), isBad);
});
