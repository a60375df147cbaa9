/** PKCS#11-specific behaviour on a throwaway SoftHSM2 token (the shared behaviour is in the contract suite). */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import pkcs11js from 'pkcs11js';
import { Pkcs11KeyStore } from '../../../src/lib/keys/index.js';
import { signDigest } from '../../../src/lib/cms/index.js';
import { AppError } from '../../../src/shared/errors.js';
import { createSoftHsmToken, type SoftHsmToken } from '../../support/softhsm.js';
import { createTestPki } from '../../support/pki-fixture.js';
import { openssl, requireTool, run, tempDir } from '../../support/openssl.js';

let token: SoftHsmToken;
let store: Pkcs11KeyStore;
const isCode = (code: string) => (e: unknown) => e instanceof AppError && e.code === code;

/** A raw session of our own on the token, to look at objects the way another PKCS#11 client would. */
function rawSession() {
  const lib = new pkcs11js.PKCS11();
  lib.load(token.modulePath);
  try {
    lib.C_Initialize({ flags: pkcs11js.CKF_OS_LOCKING_OK });
  } catch (e) {
    if ((e as { code?: number }).code !== pkcs11js.CKR_CRYPTOKI_ALREADY_INITIALIZED) throw e;
  }
  const slot = lib.C_GetSlotList(true).find((s) => lib.C_GetTokenInfo(s).label.trim() === token.tokenLabel)!;
  const s = lib.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION);
  const find = (template: pkcs11js.Template) => {
    lib.C_FindObjectsInit(s, template);
    const out = lib.C_FindObjects(s, 1000);
    lib.C_FindObjectsFinal(s);
    return out;
  };
  return { lib, s, find, close: () => lib.C_CloseSession(s) };
}

before(async () => {
  token = await createSoftHsmToken();
});
after(async () => {
  await store.close();
  await token.cleanup();
});

// Runs first: PKCS#11 login state is per process, so a wrong PIN can only be seen before anyone logs in.
test('wrong PIN and unknown token are KEY_ERR_UNAVAILABLE and leak no PIN; the right PIN opens the store', async () => {
  await assert.rejects(Pkcs11KeyStore.open({ modulePath: token.modulePath, tokenLabel: 'no-such-token', pin: token.pin }), isCode('KEY_ERR_UNAVAILABLE'));
  await assert.rejects(Pkcs11KeyStore.open({ modulePath: token.modulePath, tokenLabel: token.tokenLabel, pin: 'wrong-pin-1234' }), (e: unknown) =>
    e instanceof AppError && e.code === 'KEY_ERR_UNAVAILABLE' && !e.message.includes('wrong-pin-1234') && /PIN_INCORRECT/.test(String((e.cause as Error)?.message)));
  await assert.rejects(Pkcs11KeyStore.open({ modulePath: '/nonexistent/libpkcs11.so', tokenLabel: token.tokenLabel, pin: token.pin }), isCode('KEY_ERR_UNAVAILABLE'));
  store = await Pkcs11KeyStore.open({ modulePath: token.modulePath, tokenLabel: token.tokenLabel, pin: token.pin });
});

test('signer keys require a context-specific login for every signature (CKA_ALWAYS_AUTHENTICATE)', async () => {
  assert.equal(store.alwaysAuthenticateSupported, true);
  const k = await store.createKey({ algorithm: 'EC-P256', purpose: 'signer', label: 'always-auth' });
  const raw = rawSession();
  try {
    const [priv] = raw.find([{ type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY }, { type: pkcs11js.CKA_ID, value: Buffer.from(k.id, 'hex') }]);
    assert.ok(priv);
    const [aa, tok] = raw.lib.C_GetAttributeValue(raw.s, priv, [{ type: pkcs11js.CKA_ALWAYS_AUTHENTICATE }, { type: pkcs11js.CKA_TOKEN }]);
    assert.equal((aa!.value as Buffer)[0], 1, 'CKA_ALWAYS_AUTHENTICATE');
    assert.equal((tok!.value as Buffer)[0], 0, 'single-use keys are session objects');
    raw.lib.C_SignInit(raw.s, { mechanism: pkcs11js.CKM_ECDSA }, priv);
    await assert.rejects(raw.lib.C_SignAsync(raw.s, Buffer.alloc(32, 7), Buffer.alloc(128)), (e: unknown) => (e as { code?: number }).code === pkcs11js.CKR_USER_NOT_LOGGED_IN);
    // The store does the context login itself.
    const data = randomBytes(50);
    assert.equal((await store.sign({ keyId: k.id, data, hash: 'SHA-256' }))[0], 0x30);
  } finally {
    raw.close();
    await store.destroyKey(k.id);
  }
});

test('single-use keys vanish from the token with the store; persistent keys stay and are usable by id after a restart', async () => {
  const s2 = await Pkcs11KeyStore.open({ modulePath: token.modulePath, tokenLabel: token.tokenLabel, pin: token.pin });
  const signer = await s2.createKey({ algorithm: 'EC-P256', purpose: 'signer', label: 'orphan' });
  const ca = await s2.createKey({ algorithm: 'EC-P256', purpose: 'ca', label: 'persist-by-id' });
  const raw = rawSession();
  const ids = () => raw.find([{ type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY }]).map((h) => (raw.lib.C_GetAttributeValue(raw.s, h, [{ type: pkcs11js.CKA_ID }])[0]!.value as Buffer).toString('hex'));
  try {
    assert.ok(ids().includes(signer.id));
    assert.equal(raw.find([{ type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PUBLIC_KEY }, { type: pkcs11js.CKA_ID, value: Buffer.from(signer.id, 'hex') }]).length, 0, 'no public object is left for signer keys');
    await s2.close();
    assert.equal(ids().includes(signer.id), false, 'the session object died with its session');
    assert.ok(ids().includes(ca.id));
    // Another store instance signs with the persistent key by id without a findKey first.
    const data = randomBytes(10);
    const sig = await store.sign({ keyId: ca.id, data, hash: 'SHA-256' });
    const { createPublicKey, verify } = await import('node:crypto');
    assert.ok(verify('sha256', data, { key: createPublicKey({ key: Buffer.from(ca.publicKeySpki), format: 'der', type: 'spki' }), dsaEncoding: 'der' }, sig));
    await store.destroyKey(ca.id);
    assert.equal(ids().includes(ca.id), false);
  } finally {
    raw.close();
  }
});

test('100 concurrent signatures over 4 sessions, interleaved with key creation and destruction', async () => {
  const start = await store.countKeys();
  const keys = await Promise.all(Array.from({ length: 5 }, (_, i) => store.createKey({ algorithm: i % 2 ? 'EC-P384' : 'EC-P256', purpose: 'signer', label: `c${i}` })));
  const churn = Array.from({ length: 20 }, async () => {
    const k = await store.createKey({ algorithm: 'EC-P256', purpose: 'signer', label: 'churn' });
    await store.destroyKey(k.id);
  });
  const { createPublicKey, verify } = await import('node:crypto');
  const sigs = Array.from({ length: 100 }, async (_, i) => {
    const k = keys[i % keys.length]!;
    const data = randomBytes(64);
    const sig = await store.sign({ keyId: k.id, data, hash: 'SHA-384' });
    return verify('sha384', data, { key: createPublicKey({ key: Buffer.from(k.publicKeySpki), format: 'der', type: 'spki' }), dsaEncoding: 'der' }, sig);
  });
  const [results] = await Promise.all([Promise.all(sigs), Promise.all(churn)]);
  assert.ok(results.every(Boolean));
  for (const k of keys) await store.destroyKey(k.id);
  assert.equal(await store.countKeys(), start);
});

test('a CA whose keys live in the HSM issues certificates and a CMS that openssl verifies', async () => {
  const tmp = await tempDir();
  const pki = await createTestPki({ store });
  try {
    const s = await pki.issueSigner({ algorithm: 'RSA-2048', qualified: true });
    const content = randomBytes(5000);
    const cms = await signDigest({
      profile: 'pades', digestAlgorithm: 'sha256', messageDigest: new Uint8Array(createHash('sha256').update(content).digest()),
      signerCertificate: s.cert, signer: s.signer, certificates: s.chain,
    });
    const pems = await pki.writePems(tmp.dir);
    const r = await openssl(['cms', '-verify', '-binary', '-content', await tmp.write('c.bin', content), '-CAfile', pems.root, '-purpose', 'any', '-inform', 'DER', '-in', await tmp.write('c.der', cms), '-out', '/dev/null']);
    assert.equal(r.code, 0, r.stderr);
  } finally {
    await pki.close();
    await tmp.cleanup();
  }
});

test('a CA key put in the token by another tool (pkcs11-tool, any CKA_ID) is found by label and signs', async () => {
  requireTool('pkcs11-tool');
  const r = await run('pkcs11-tool', ['--module', token.modulePath, '--token-label', token.tokenLabel, '--login', '--pin', token.pin,
    '--keypairgen', '--key-type', 'EC:prime256v1', '--label', 'hsm-imported-ca', '--id', '0a0b0c'], { env: process.env });
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const k = await store.findKey('hsm-imported-ca');
  assert.ok(k, 'found on the token');
  assert.equal(k.id, '0a0b0c');
  assert.equal(k.algorithm, 'EC-P256');
  assert.equal(k.purpose, 'ca');
  const data = randomBytes(33);
  const { createPublicKey, verify } = await import('node:crypto');
  const sig = await store.sign({ keyId: k.id, data, hash: 'SHA-256' });
  assert.ok(verify('sha256', data, { key: createPublicKey({ key: Buffer.from(k.publicKeySpki), format: 'der', type: 'spki' }), dsaEncoding: 'der' }, sig));
  await store.destroyKey(k.id);
  assert.equal(await store.findKey('hsm-imported-ca'), null);
});
