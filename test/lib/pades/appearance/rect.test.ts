import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRect, validateRect } from '../../../../src/lib/pades/appearance/index.js';
import { AppError } from '../../../../src/shared/errors.js';

const isBad = (e: unknown) => e instanceof AppError && e.code === 'PDF_ERR_BAD_RECTANGLE' && e.httpStatus === 400;

test('parses "x1,y1,x2,y2" with spaces, decimals and signs', () => {
  assert.deepEqual(parseRect('30,100,165,150'), [30, 100, 165, 150]);
  assert.deepEqual(parseRect(' 30.5 , 100 ,165.25, 150. '), [30.5, 100, 165.25, 150]);
  assert.deepEqual(parseRect('-10,+0,20,40'), [-10, 0, 20, 40]);
});

test('swapped corners are normalised (ISO 32000-1 §7.9.5)', () => {
  assert.deepEqual(parseRect('165,150,30,100'), [30, 100, 165, 150]);
  assert.deepEqual(validateRect([10, 50, 60, 5]), [10, 5, 60, 50]);
});

test('bad rectangles are a clear 400', () => {
  for (const bad of ['', '1,2,3', '1,2,3,4,5', 'a,b,c,d', '1e3,0,2000,10', '0x10,0,20,20', '10,10,10,50', '10,10,10.5,50', '0,0,20000,10', 'NaN,0,1,1']) {
    assert.throws(() => parseRect(bad), isBad, bad);
  }
  assert.throws(() => parseRect(42 as unknown as string), isBad);
  assert.throws(() => validateRect([0, 0, Infinity, 10]), isBad);
  assert.throws(() => validateRect(['0', 0, 10, 10]), isBad);
});
