import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey, randomBytes, verify } from 'node:crypto';
import { KeyPool, SoftKeyStore, type CreateKeyRequest, type KeyHandle, type KeyStore } from '../../../src/lib/keys/index.js';
import { AppError } from '../../../src/shared/errors.js';
import { keyStoreHarnesses } from './harnesses.js';

/** Wraps a real store: counts key generations, can hold them at a gate, can fail the first N. */
class InstrumentedStore implements KeyStore {
  readonly kind = 'instrumented';
  created = 0;
  failNext = 0;
  #gate: Promise<void> | null = null;
  #open: (() => void) | null = null;
  constructor(readonly inner: KeyStore) {}
  closeGate() {
    this.#gate = new Promise((r) => (this.#open = r));
  }
  openGate() {
    this.#open?.();
    this.#gate = null;
  }
  async createKey(req: CreateKeyRequest) {
    if (this.#gate) await this.#gate;
    if (this.failNext > 0) {
      this.failNext--;
      throw new AppError('KEY_ERR_OPERATION_FAILED', 'injected failure');
    }
    this.created++;
    return this.inner.createKey(req);
  }
  findKey(l: string) {
    return this.inner.findKey(l);
  }
  sign(r: Parameters<KeyStore['sign']>[0]) {
    return this.inner.sign(r);
  }
  destroyKey(id: string) {
    return this.inner.destroyKey(id);
  }
  countKeys() {
    return this.inner.countKeys();
  }
  close() {
    return this.inner.close();
  }
}

const signs = async (store: KeyStore, k: KeyHandle) => {
  const data = randomBytes(40);
  const sig = await store.sign({ keyId: k.id, data, hash: 'SHA-256' });
  return verify('sha256', data, createPublicKey({ key: Buffer.from(k.publicKeySpki), format: 'der', type: 'spki' }), sig);
};

describe('KeyPool over SoftKeyStore', () => {
  test('stocks RSA keys, hands each out once, refills in the background, destroys the rest on close', async () => {
    const soft = new SoftKeyStore();
    const store = new InstrumentedStore(soft);
    const pool = new KeyPool({ store, sizes: { 'RSA-2048': 3 } });
    await pool.ready();
    assert.equal(pool.available('RSA-2048'), 3);
    assert.equal(await soft.countKeys(), 3);
    const taken: KeyHandle[] = [];
    for (let i = 0; i < 5; i++) taken.push(await pool.take('RSA-2048'));
    assert.equal(new Set(taken.map((k) => k.id)).size, 5, 'no key is handed out twice');
    for (const k of taken) {
      assert.equal(k.algorithm, 'RSA-2048');
      assert.equal(k.purpose, 'signer');
      assert.ok(await signs(soft, k));
    }
    await pool.ready();
    assert.equal(pool.available('RSA-2048'), 3, 'refilled');
    await pool.close();
    assert.equal(await soft.countKeys(), 5, 'unused pooled keys destroyed; taken keys belong to their callers');
    for (const k of taken) await soft.destroyKey(k.id);
    assert.equal(await soft.countKeys(), 0);
    await assert.rejects(pool.take('RSA-2048'), (e: unknown) => e instanceof AppError && e.code === 'KEY_ERR_UNAVAILABLE');
    await soft.close();
  });

  test('a stocked take() does not wait for key generation; an empty pool generates on demand', { timeout: 60_000 }, async () => {
    const soft = new SoftKeyStore();
    const store = new InstrumentedStore(soft);
    const pool = new KeyPool({ store, sizes: { 'RSA-2048': 1 } });
    await pool.ready();
    store.closeGate(); // every generation from now on is held
    const first = await pool.take('RSA-2048'); // would hang here if take() waited for the refill
    assert.ok(first);
    assert.equal(pool.available('RSA-2048'), 0);
    let second: KeyHandle | null = null;
    const pending = pool.take('RSA-2048').then((k) => (second = k));
    await new Promise((r) => setImmediate(r));
    assert.equal(second, null, 'the on-demand generation is still held at the gate');
    const before = store.created;
    store.openGate();
    await pending;
    assert.ok(second);
    assert.notEqual((second as KeyHandle).id, first.id);
    assert.ok(store.created > before);
    const ec = await pool.take('EC-P256'); // not pooled: always on demand
    assert.equal(ec.algorithm, 'EC-P256');
    await pool.close();
    await soft.close();
  });

  test('refill failures are reported and retried; close() does not hang on a pending retry', async () => {
    const soft = new SoftKeyStore();
    const store = new InstrumentedStore(soft);
    store.failNext = 2;
    const errors: unknown[] = [];
    const pool = new KeyPool({ store, sizes: { 'EC-P256': 2 }, onError: (e) => errors.push(e), retryDelayMs: 1 });
    await pool.ready();
    assert.equal(pool.available('EC-P256'), 2);
    assert.equal(errors.length, 2);
    store.failNext = 1_000_000;
    await pool.take('EC-P256').catch(() => undefined);
    const p2 = new KeyPool({ store, sizes: { 'EC-P256': 1 }, retryDelayMs: 60_000 });
    await pool.close();
    await p2.close(); // its refill loop is sleeping in a 60 s backoff
    await soft.close();
  });

  test('rejects invalid sizes', () => {
    assert.throws(() => new KeyPool({ store: new SoftKeyStore(), sizes: { 'RSA-2048': -1 } }), (e: unknown) => e instanceof AppError && e.code === 'KEY_ERR_INVALID_REQUEST');
    assert.throws(() => new KeyPool({ store: new SoftKeyStore(), sizes: { 'DSA-1024': 1 } as never }), (e: unknown) => e instanceof AppError);
  });
});

for (const make of keyStoreHarnesses) {
  test(`KeyPool over ${make.name}: the store's key count returns to its start`, async () => {
    const h = await make.create();
    const store = await h.open();
    try {
      const start = await store.countKeys();
      const pool = new KeyPool({ store, sizes: { 'RSA-2048': 2, 'EC-P256': 2 } });
      await pool.ready();
      assert.equal(await store.countKeys(), start + 4);
      const k = await pool.take('RSA-2048');
      assert.ok(await signs(store, k));
      await store.destroyKey(k.id);
      await pool.close();
      assert.equal(await store.countKeys(), start);
    } finally {
      await store.close();
      await h.cleanup();
    }
  });
}
