/**
 * A complete test PKI built with our own X.509 builder over a KeyStore: root CA, issuing CA,
 * TSA and OCSP responder certificates, and single-use signer certificates on demand.
 * Every test that needs certificates can use it; write PEMs with `writePems` for openssl/pdfsig.
 *
 *   const pki = await createTestPki();            // SoftKeyStore, EC P-256 CAs
 *   const s = await pki.issueSigner({ qualified: true });
 *   await signDigest({ ..., signerCertificate: s.cert, signer: s.signer, certificates: s.chain });
 *   await pki.close();
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  OID, authorityInfoAccess, authorityKeyIdentifier, basicConstraints, buildCertificate, certificateInfo, certificatePolicies,
  crlDistributionPoints, extKeyUsage, keyIdentifierOf, keyStoreSigner, keyUsage, ocspNoCheck, qcStatements, randomSerialNumber,
  subjectAltName, subjectKeyIdentifier, type CertificateInfo, type CmsSigner, type ExtensionSpec, type NameSpec,
} from '../../src/lib/cms/index.js';
import { SoftKeyStore, type KeyAlgorithm, type KeyHandle, type KeyStore } from '../../src/lib/keys/index.js';
import { toPem } from './openssl.js';

export interface PkiEntity {
  cert: Uint8Array;
  key: KeyHandle;
  signer: CmsSigner;
  info: CertificateInfo;
}

export interface SignerEntity extends PkiEntity {
  /** issuing CA, root (what a CMS `certificates` field should carry besides the signer). */
  chain: Uint8Array[];
}

export interface TestPkiOptions {
  /** Defaults to a fresh SoftKeyStore (closed by pki.close()). */
  store?: KeyStore;
  caAlgorithm?: KeyAlgorithm;
  /** URLs put in AIA/CRLDP of issued certificates; omitted when not given (pdfsig trips on unreachable OCSP URLs). */
  urls?: { ocsp?: string; caIssuers?: string; crl?: string; issuingCrl?: string };
  now?: Date;
}

export interface IssueSignerOptions {
  algorithm?: KeyAlgorithm;
  qualified?: boolean;
  subject?: NameSpec;
  email?: string;
  /** Validity in seconds from `now` (default one hour). */
  validitySeconds?: number;
  notBefore?: Date;
}

export interface TestPki {
  store: KeyStore;
  root: PkiEntity;
  issuing: PkiEntity;
  tsa: PkiEntity;
  ocsp: PkiEntity;
  issueSigner(opts?: IssueSignerOptions): Promise<SignerEntity>;
  /** Writes root.pem, issuing.pem, tsa.pem, ocsp.pem (and chain.pem = issuing + root) into `dir`. */
  writePems(dir: string): Promise<{ root: string; issuing: string; tsa: string; ocsp: string; chain: string }>;
  /** Destroys the keys this fixture created (and closes the store when it created it). */
  close(): Promise<void>;
}

export const TEST_POLICY_OID = '1.3.6.1.4.1.99999.1.1';

export async function createTestPki(opts: TestPkiOptions = {}): Promise<TestPki> {
  const ownStore = !opts.store;
  const store = opts.store ?? new SoftKeyStore();
  const alg = opts.caAlgorithm ?? 'EC-P256';
  const now = opts.now ?? new Date();
  const created: KeyHandle[] = [];
  const tag = Math.random().toString(36).slice(2, 8);
  const newKey = async (algorithm: KeyAlgorithm, purpose: KeyHandle['purpose'], label: string) => {
    const k = await store.createKey({ algorithm, purpose, label: `${label}-${tag}` });
    created.push(k);
    return k;
  };
  const years = (n: number) => new Date(now.getTime() + n * 365 * 86400_000);
  const before = new Date(now.getTime() - 3600_000);

  const rootKey = await newKey(alg, 'ca', 'test-root');
  const rootSigner = keyStoreSigner(store, rootKey);
  const rootName: NameSpec = { C: 'ES', O: 'One-Shot Test', CN: 'One-Shot Test Root CA' };
  const rootCert = await buildCertificate({
    serialNumber: randomSerialNumber(), issuer: rootName, subject: rootName, notBefore: before, notAfter: years(10),
    publicKeySpki: rootKey.publicKeySpki, signer: rootSigner,
    extensions: [basicConstraints({ ca: true }), keyUsage(['keyCertSign', 'cRLSign']), subjectKeyIdentifier(rootKey.publicKeySpki)],
  });
  const root: PkiEntity = { cert: rootCert, key: rootKey, signer: rootSigner, info: certificateInfo(rootCert) };

  const issue = async (issuer: PkiEntity, key: KeyHandle, subject: NameSpec, notAfter: Date, extensions: ExtensionSpec[], notBefore = before) => {
    const cert = await buildCertificate({
      serialNumber: randomSerialNumber(), issuer: issuer.info.subject, subject, notBefore, notAfter, publicKeySpki: key.publicKeySpki,
      signer: issuer.signer, issuerPublicKeySpki: issuer.key.publicKeySpki,
      extensions: [...extensions, subjectKeyIdentifier(key.publicKeySpki), authorityKeyIdentifier(keyIdentifierOf(issuer.key.publicKeySpki))],
    });
    return { cert, key, signer: keyStoreSigner(store, key), info: certificateInfo(cert) };
  };

  const issuingKey = await newKey(alg, 'ca', 'test-issuing');
  const issuing = await issue(root, issuingKey, { C: 'ES', O: 'One-Shot Test', CN: 'One-Shot Test Issuing CA' }, years(5), [
    basicConstraints({ ca: true, pathLength: 0 }), keyUsage(['keyCertSign', 'cRLSign']),
    ...(opts.urls?.crl ? [crlDistributionPoints([opts.urls.crl])] : []),
  ]);
  const tsa = await issue(issuing, await newKey('EC-P256', 'tsa', 'test-tsa'), { C: 'ES', O: 'One-Shot Test', CN: 'One-Shot Test TSA' }, years(2), [
    basicConstraints({ ca: false }, false), keyUsage(['digitalSignature', 'nonRepudiation']), extKeyUsage([OID.kpTimeStamping], true),
  ]);
  const ocsp = await issue(issuing, await newKey('EC-P256', 'ocsp', 'test-ocsp'), { C: 'ES', O: 'One-Shot Test', CN: 'One-Shot Test OCSP Responder' }, years(1), [
    basicConstraints({ ca: false }, false), keyUsage(['digitalSignature']), extKeyUsage([OID.kpOcspSigning]), ocspNoCheck(),
  ]);

  return {
    store, root, issuing, tsa, ocsp,
    async issueSigner(o = {}) {
      const key = await newKey(o.algorithm ?? 'EC-P256', 'signer', 'signer');
      const subject: NameSpec = o.subject ?? {
        C: 'ES', serialNumber: 'IDCES-12345678Z', surname: 'ESPAÑOL ESPAÑOL', givenName: 'JUAN', CN: 'JUAN ESPAÑOL ESPAÑOL',
      };
      const nb = o.notBefore ?? new Date(now.getTime() - 60_000);
      const exts: ExtensionSpec[] = [
        keyUsage(['nonRepudiation']),
        certificatePolicies([{ oid: TEST_POLICY_OID, cpsUri: 'https://pki.example.test/cps', userNotice: 'Test single-use certificate' }]),
        subjectAltName({ email: [o.email ?? 'juan@example.test'] }),
      ];
      if (o.qualified)
        exts.push(qcStatements({ semantics: 'natural', compliance: true, sscd: true, type: 'esign', pds: [{ url: 'https://pki.example.test/pds_en.pdf', language: 'en' }] }));
      if (opts.urls?.ocsp || opts.urls?.caIssuers)
        exts.push(authorityInfoAccess({ ocsp: opts.urls.ocsp ? [opts.urls.ocsp] : [], caIssuers: opts.urls.caIssuers ? [opts.urls.caIssuers] : [] }));
      if (opts.urls?.issuingCrl) exts.push(crlDistributionPoints([opts.urls.issuingCrl]));
      const e = await issue(issuing, key, subject, new Date(nb.getTime() + (o.validitySeconds ?? 3600) * 1000), exts, nb);
      return { ...e, chain: [issuing.cert, root.cert] };
    },
    async writePems(dir) {
      const out = { root: join(dir, 'root.pem'), issuing: join(dir, 'issuing.pem'), tsa: join(dir, 'tsa.pem'), ocsp: join(dir, 'ocsp.pem'), chain: join(dir, 'chain.pem') };
      await writeFile(out.root, toPem(root.cert, 'CERTIFICATE'));
      await writeFile(out.issuing, toPem(issuing.cert, 'CERTIFICATE'));
      await writeFile(out.tsa, toPem(tsa.cert, 'CERTIFICATE'));
      await writeFile(out.ocsp, toPem(ocsp.cert, 'CERTIFICATE'));
      await writeFile(out.chain, toPem(issuing.cert, 'CERTIFICATE') + toPem(root.cert, 'CERTIFICATE'));
      return out;
    },
    async close() {
      for (const k of created) await store.destroyKey(k.id).catch(() => undefined);
      if (ownStore) await store.close();
    },
  };
}
