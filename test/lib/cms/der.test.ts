import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  children, compareDer, decodeOid, generalizedTime, namedBitString, oid, readRoot, readTime, readTlv, seq, setOf, sortDer, tlv,
  unsignedInteger, utcTime, x509Time, content,
} from '../../../src/lib/cms/der.js';
import { AppError } from '../../../src/shared/errors.js';
import { openssl, tempDir } from '../../support/openssl.js';

test('OIDs round-trip, including a 128-bit UUID arc (X.667) and arc 2 with a large second component', () => {
  for (const o of ['1.2.840.113549.1.7.2', '0.4.0.1862.1.6.1', '2.25.177748010004589798405141177310983679828', '2.999.1', '1.3.6.1.4.1.311.60.2.1.3']) {
    const der = oid(o);
    assert.equal(decodeOid(content(der, readRoot(der))), o);
  }
  assert.deepEqual([...oid('1.2.840.10045.3.1.7')], [0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07]);
  assert.throws(() => oid('1'), AppError);
  assert.throws(() => oid('1.2.x'), AppError);
});

test('lengths: short, long (1-3 octets) forms; openssl asn1parse agrees', async () => {
  const t = await tempDir();
  try {
    for (const n of [0, 127, 128, 255, 256, 65535, 65536, 100_000]) {
      const der = tlv(0x04, new Uint8Array(n));
      const r = readTlv(der);
      assert.equal(r.end - r.contentStart, n);
      assert.equal(r.end, der.length);
      const p = await t.write(`l${n}.der`, der);
      const a = await openssl(['asn1parse', '-inform', 'DER', '-in', p]);
      assert.equal(a.code, 0, a.stderr);
      assert.match(a.stdout, new RegExp(`l=\\s*${n} prim: OCTET STRING`));
    }
  } finally {
    await t.cleanup();
  }
});

test('the reader refuses indefinite lengths, truncation and trailing bytes', () => {
  const bad = (b: number[]) => assert.throws(() => readRoot(Uint8Array.from(b)), (e: unknown) => e instanceof AppError && e.code === 'CMS_ERR_MALFORMED');
  bad([0x30, 0x80, 0x00, 0x00]);
  bad([0x30, 0x05, 0x02, 0x01]);
  bad([0x30, 0x00, 0x00]);
  bad([0x04]);
  bad([0x04, 0x85, 1, 1, 1, 1, 1]);
  bad([0x1f, 0x01, 0x00]);
  const ok = seq(tlv(0x02, Uint8Array.of(1)), tlv(0x05, new Uint8Array()));
  assert.equal(children(ok, readRoot(ok)).length, 2);
});

test('INTEGERs are minimal and positive; SET OF is sorted by encoding', () => {
  assert.deepEqual([...unsignedInteger(Uint8Array.of(0, 0, 0x80))], [0x02, 0x02, 0x00, 0x80]);
  assert.deepEqual([...unsignedInteger(Uint8Array.of(0, 0x7f))], [0x02, 0x01, 0x7f]);
  assert.deepEqual([...unsignedInteger(new Uint8Array(3))], [0x02, 0x01, 0x00]);
  const items = [Uint8Array.of(0x04, 0x02, 0xff, 0), Uint8Array.of(0x02, 0x01, 5), Uint8Array.of(0x04, 0x01, 0x01), Uint8Array.of(0x04, 0x02, 0x01, 0)];
  const sorted = sortDer(items);
  for (let i = 1; i < sorted.length; i++) assert.ok(compareDer(sorted[i - 1]!, sorted[i]!) <= 0);
  assert.deepEqual([...setOf(items)].slice(0, 5), [0x31, 14, 0x02, 0x01, 5]);
  assert.deepEqual([...namedBitString([])], [0x03, 0x01, 0x00]);
  assert.deepEqual([...namedBitString([8])], [0x03, 0x03, 0x07, 0x00, 0x80]);
});

test('times: UTCTime through 2049, GeneralizedTime after; whole seconds unless millis are asked for', () => {
  const d = new Date(Date.UTC(2049, 11, 31, 23, 59, 59, 999));
  assert.equal(Buffer.from(utcTime(d)).toString('latin1').slice(2), '491231235959Z');
  assert.equal(x509Time(d)[0], 0x17);
  assert.equal(x509Time(new Date(Date.UTC(2050, 0, 1)))[0], 0x18);
  assert.equal(Buffer.from(generalizedTime(d)).toString('latin1').slice(2), '20491231235959Z');
  assert.equal(Buffer.from(generalizedTime(d, true)).toString('latin1').slice(2), '20491231235959.999Z');
  assert.equal(Buffer.from(generalizedTime(new Date(Date.UTC(2030, 0, 1, 0, 0, 0, 500)), true)).toString('latin1').slice(2), '20300101000000.5Z');
  const back = generalizedTime(new Date(Date.UTC(2030, 0, 1, 0, 0, 0, 500)), true);
  assert.equal(readTime(back, readRoot(back)).getTime(), Date.UTC(2030, 0, 1, 0, 0, 0, 500));
  const u = utcTime(new Date(Date.UTC(1999, 5, 1)));
  assert.equal(readTime(u, readRoot(u)).getUTCFullYear(), 1999);
  assert.throws(() => utcTime(new Date(Date.UTC(2050, 0, 1))), RangeError);
});
