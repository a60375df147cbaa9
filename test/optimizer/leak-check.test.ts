/** The leak detector itself must be able to fail: every encoding of a smuggled slice is found. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { findLeak, trafficWindows } from '../support/optimizer-leak.js';

const doc = randomBytes(100_000);
const slice = doc.subarray(50_001, 50_001 + 40);
const t = (body: string | Buffer, url = '/tsc/v1/x') => [{ method: 'POST', url, headers: {}, body: Buffer.isBuffer(body) ? body : Buffer.from(body) }];

test('clean traffic: no leak', () => {
  assert.equal(findLeak(doc, trafficWindows(t(JSON.stringify({ digest: randomBytes(32).toString('base64') })))), -1);
});

test('raw, base64 at any offset, base64url, hex and URL-borne slices are found', () => {
  assert.notEqual(findLeak(doc, trafficWindows(t(Buffer.concat([Buffer.from('{"x":"'), slice, Buffer.from('"}')])))), -1);
  for (let k = 0; k < 3; k++) {
    const b64 = Buffer.concat([randomBytes(k), slice]).toString('base64');
    assert.notEqual(findLeak(doc, trafficWindows(t(JSON.stringify({ digest: `AAAA${b64}` })))), -1, `base64 offset ${k}`);
  }
  assert.notEqual(findLeak(doc, trafficWindows(t(JSON.stringify({ d: slice.toString('base64url') })))), -1);
  assert.notEqual(findLeak(doc, trafficWindows(t(JSON.stringify({ d: `0${slice.toString('hex')}` })))), -1);
  assert.notEqual(findLeak(doc, trafficWindows(t('', `/tsc/v1/x?d=${encodeURIComponent(slice.toString('base64'))}`))), -1);
});
