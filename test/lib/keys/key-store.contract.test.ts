/**
 * One contract suite over every KeyStore implementation (DESIGN.md §7 "contracts"): the same
 * behaviour is required of the node:crypto store and of the PKCS#11 store on SoftHSM2.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey, randomBytes, verify } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SoftKeyStore, type KeyAlgorithm, type KeyHandle, type KeyStore } from '../../../src/lib/keys/index.js';
import { AppError } from '../../../src/shared/errors.js';
import { tempDir } from '../../support/openssl.js';
import { fsPersistence, keyStoreHarnesses, type KeyStoreHarness } from './harnesses.js';

const isCode = (code: string) => (e: unknown) => e instanceof AppError && e.code === code;

function verifies(h: KeyHandle, data: Uint8Array, sig: Uint8Array, hash = 'sha256'): boolean {
  const key = createPublicKey({ key: Buffer.from(h.publicKeySpki), format: 'der', type: 'spki' });
  return verify(hash, data, key.asymmetricKeyType === 'ec' ? { key, dsaEncoding: 'der' } : key, sig);
}

for (const make of keyStoreHarnesses) {
  describe(`KeyStore contract: ${make.name}`, () => {
    let h: KeyStoreHarness;
    let store: KeyStore;
    before(async () => {
      h = await make.create();
      store = await h.open();
    });
    after(async () => {
      await store?.close();
      await h?.cleanup();
    });

    for (const alg of ['EC-P256', 'EC-P384', 'RSA-2048', 'RSA-3072'] as KeyAlgorithm[]) {
      test(`${alg}: create, sign (SHA-256 and SHA-384), verify with the public key, destroy`, async () => {
        const start = await store.countKeys();
        const k = await store.createKey({ algorithm: alg, purpose: 'signer', label: 'single-use' });
        assert.equal(k.algorithm, alg);
        assert.equal(k.purpose, 'signer');
        assert.equal(await store.countKeys(), start + 1);
        const data = randomBytes(300);
        const sig = await store.sign({ keyId: k.id, data, hash: 'SHA-256' });
        assert.ok(verifies(k, data, sig), 'signature verifies');
        if (alg.startsWith('EC')) assert.equal(sig[0], 0x30, 'ECDSA signatures are DER Ecdsa-Sig-Value');
        assert.equal(verifies(k, randomBytes(300), sig), false, 'and not over other data');
        const sig384 = await store.sign({ keyId: k.id, data, hash: 'SHA-384' });
        assert.ok(verifies(k, data, sig384, 'sha384'));
        await store.destroyKey(k.id);
        assert.equal(await store.countKeys(), start);
        await assert.rejects(store.sign({ keyId: k.id, data, hash: 'SHA-256' }), isCode('KEY_ERR_NOT_FOUND'));
      });
    }

    test('unknown keys are KEY_ERR_NOT_FOUND; bad requests are KEY_ERR_INVALID_REQUEST', async () => {
      await assert.rejects(store.sign({ keyId: 'ab'.repeat(16), data: new Uint8Array(1), hash: 'SHA-256' }), isCode('KEY_ERR_NOT_FOUND'));
      await assert.rejects(store.destroyKey('ab'.repeat(16)), isCode('KEY_ERR_NOT_FOUND'));
      await assert.rejects(store.destroyKey('not hex at all'), isCode('KEY_ERR_NOT_FOUND'));
      await assert.rejects(store.createKey({ algorithm: 'DSA' as never, purpose: 'signer', label: 'x' }), isCode('KEY_ERR_INVALID_REQUEST'));
      await assert.rejects(store.createKey({ algorithm: 'EC-P256', purpose: 'signer', label: '../etc/passwd' }), isCode('KEY_ERR_INVALID_REQUEST'));
      const k = await store.createKey({ algorithm: 'EC-P256', purpose: 'signer', label: 'x' });
      await assert.rejects(store.sign({ keyId: k.id, data: new Uint8Array(1), hash: 'MD5' as never }), isCode('KEY_ERR_INVALID_REQUEST'));
      await store.destroyKey(k.id);
    });

    test('the private key cannot be extracted', async () => {
      const k = await store.createKey({ algorithm: 'EC-P256', purpose: 'signer', label: 'no-export' });
      const outcome = await h.tryExtractPrivateKey(store, k);
      assert.equal(outcome, 'refused');
      await store.destroyKey(k.id);
    });

    test('countKeys returns to its start after 50 create/sign/destroy cycles', async () => {
      const start = await store.countKeys();
      for (let i = 0; i < 50; i++) {
        const k = await store.createKey({ algorithm: 'EC-P256', purpose: 'signer', label: 'cycle' });
        const data = randomBytes(32);
        assert.ok(verifies(k, data, await store.sign({ keyId: k.id, data, hash: 'SHA-256' })));
        await store.destroyKey(k.id);
      }
      assert.equal(await store.countKeys(), start);
    });

    test('concurrent signatures on one key all verify', async () => {
      const k = await store.createKey({ algorithm: 'EC-P256', purpose: 'signer', label: 'parallel' });
      const data = Array.from({ length: 24 }, () => randomBytes(64));
      const sigs = await Promise.all(data.map((d) => store.sign({ keyId: k.id, data: d, hash: 'SHA-256' })));
      sigs.forEach((s, i) => assert.ok(verifies(k, data[i]!, s), `signature ${i}`));
      await store.destroyKey(k.id);
    });

    test('persistent keys are found again after reopening; signer keys are not', async () => {
      const ca = await store.createKey({ algorithm: 'EC-P384', purpose: 'ca', label: 'root-ca' });
      await store.createKey({ algorithm: 'RSA-2048', purpose: 'tsa', label: 'tsa-key' });
      const signer = await store.createKey({ algorithm: 'EC-P256', purpose: 'signer', label: 'left-over' });
      await assert.rejects(store.createKey({ algorithm: 'EC-P256', purpose: 'ca', label: 'root-ca' }), isCode('KEY_ERR_ALREADY_EXISTS'));
      assert.equal((await store.findKey('root-ca'))?.id, ca.id);
      await store.close();
      store = await h.open();
      const again = await store.findKey('root-ca');
      assert.ok(again);
      assert.deepEqual(again.publicKeySpki, ca.publicKeySpki);
      assert.equal(again.purpose, 'ca');
      assert.equal(again.algorithm, 'EC-P384');
      const tsaAgain = await store.findKey('tsa-key');
      assert.equal(tsaAgain?.purpose, 'tsa');
      const data = randomBytes(100);
      assert.ok(verifies(again, data, await store.sign({ keyId: again.id, data, hash: 'SHA-384' }), 'sha384'));
      assert.equal(await store.findKey('left-over'), null, 'single-use keys do not survive a restart');
      assert.equal(await store.findKey('no-such-key'), null);
      await store.destroyKey(again.id);
      await store.destroyKey(tsaAgain!.id);
      await store.close();
      store = await h.open();
      assert.equal(await store.findKey('root-ca'), null, 'destroyed persistent keys are gone for good');
      void signer;
    });

    test('a closed store refuses work', async () => {
      const s2 = await h.open();
      await s2.close();
      await assert.rejects(s2.createKey({ algorithm: 'EC-P256', purpose: 'signer', label: 'late' }), isCode('KEY_ERR_UNAVAILABLE'));
    });
  });
}

describe('SoftKeyStore persistence blob', () => {
  test('holds PKCS#8 with the purpose attribute; hand-imported PKCS#8 counts as a CA key', async () => {
    const t = await tempDir();
    try {
      const persistence = fsPersistence(t.dir);
      const s = new SoftKeyStore({ persistence });
      await s.createKey({ algorithm: 'EC-P256', purpose: 'ocsp', label: 'ocsp-1' });
      const blob = await readFile(join(t.dir, 'ocsp-1.p8'));
      assert.equal(blob[0], 0x30);
      const { createPrivateKey, generateKeyPairSync } = await import('node:crypto');
      assert.equal(createPrivateKey({ key: blob, format: 'der', type: 'pkcs8' }).asymmetricKeyType, 'ec');
      const plain = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'der' });
      await writeFile(join(t.dir, 'imported.p8'), plain);
      const s2 = new SoftKeyStore({ persistence });
      assert.equal((await s2.findKey('ocsp-1'))?.purpose, 'ocsp');
      assert.equal((await s2.findKey('imported'))?.purpose, 'ca');
      await s.close();
      await s2.close();
    } finally {
      await t.cleanup();
    }
  });
});
