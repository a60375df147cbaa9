/**
 * B-LT and B-LTA after the TSC has signed (issue 5; ETSI EN 319 142-1 §5.4, §6.3):
 *
 *  B-LT:  a DSS increment (§5.4.2) holding the certificates of the signature and of its timestamp
 *         (signer, issuing CA, root, TSA unit, delegated OCSP responders), the OCSP response for the
 *         single-use certificate fetched from its AIA OCSP URL (the TSC), the CRLs of its CRL DPs and
 *         of the CAs above it, and the same for the TSA certificate; plus a VRI entry per signature.
 *  B-LTA: then a document timestamp (ETSI.RFC3161, §5.5) over the file including that DSS, from
 *         the configured TSA (or the TSC's), and, when the document timestamp's TSA is another one,
 *         a second DSS with its validation data.
 *
 * Everything is fetched once per sign call and checked (OCSP signer, nonce, CertID; CRL signature).
 * The signer's OCSP response and CRL are required; a certificate without revocation URLs (e.g. a
 * TSA that publishes none) is carried in the DSS as is.
 *
 * Failure policy: `preflight` runs before the TSC consumes the OTP (CRLs and an OCSP probe of the
 * TSC's responder): with fail-closed a failure refuses the call (LTV_ERR_UNAVAILABLE), nothing
 * consumed; with degrade the call goes on at B-T. After the TSC has signed nothing can be refused
 * any more: a failure then keeps the lower level's file and is reported as a degradation.
 */
import { randomBytes } from 'node:crypto';
import {
  certificateInfo, certificateUrls, OID, parseSignedData, verifyCertificateSignature,
} from '../../lib/cms/index.js';
import { AppError, isAppError } from '../../shared/errors.js';
import type { LevelChoice, LevelTracker, TsaHash } from './levels.js';
import type { DssData, FetchedOcsp, LongTermServices } from './long-term-ports.js';
import type { TscSigningInfo } from './ports.js';

const b64 = (s: string) => new Uint8Array(Buffer.from(s, 'base64'));
const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));
const http = (u: string) => /^https?:\/\//i.test(u);
const reasonOf = (e: unknown) => (isAppError(e) ? `${e.code}: ${e.message}` : 'unexpected failure');

/** The validation material of one sign call, shared by all its PDFs. */
export interface ValidationMaterial {
  certs: Uint8Array[];
  ocsps: Uint8Array[];
  crls: Uint8Array[];
}

function addUnique(list: Uint8Array[], item: Uint8Array): void {
  if (!list.some((x) => same(x, item))) list.push(item);
}

const selfSigned = (c: Uint8Array) => {
  const i = certificateInfo(c);
  return same(i.issuer, i.subject) && verifyCertificateSignature(c, c);
};

/** Certificates carried by the signature timestamp tokens of these CMS (TSA unit + chain). */
export function timestampCertificates(cmsList: Uint8Array[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const cms of cmsList) {
    for (const si of parseSignedData(cms).signerInfos) {
      for (const a of si.unsignedAttrs.filter((x) => x.oid === OID.signatureTimeStampToken)) {
        for (const tst of a.values) for (const c of parseSignedData(tst).certificates) addUnique(out, c);
      }
    }
  }
  return out;
}

/**
 * Before the OTP is spent: can the validation data be had? CRLs of the single-use certificate's
 * issuer and of the chain, and a signed answer from the OCSP responder (a probe for a random serial).
 */
export async function preflight(svc: LongTermServices, info: TscSigningInfo): Promise<void> {
  const chain = info.chain.map(b64);
  const issuing = chain[0];
  if (!issuing) throw new AppError('LTV_ERR_UNAVAILABLE', 'The TSC announced no certificate chain');
  const rev = info.revocation ?? { ocsp: [], crl: [] };
  for (const url of rev.crl.filter(http)) await svc.fetcher.crl(url, issuing);
  for (let i = 0; i < chain.length - 1; i++) {
    for (const url of certificateUrls(chain[i]!).crl.filter(http)) await svc.fetcher.crl(url, chain[i + 1]!);
  }
  const ocsp = rev.ocsp.filter(http)[0];
  if (ocsp) await svc.fetcher.ocsp(ocsp, issuing, `7f${randomBytes(15).toString('hex')}`, { cache: false });
}

/**
 * Collects OCSP responses and CRLs for the signer certificate and every certificate of the
 * timestamp tokens, up to (not including) self-signed roots. The signer (when given) must have both
 * an OCSP response and a CRL. Throws LTV_ERR_UNAVAILABLE.
 */
export async function collectValidationData(
  svc: LongTermServices, x: { signer: Uint8Array | null; chain: Uint8Array[]; tokenCerts: Uint8Array[]; known?: Uint8Array[] },
): Promise<ValidationMaterial> {
  const { signer, chain, tokenCerts } = x;
  const m: ValidationMaterial = { certs: [], ocsps: [], crls: [] };
  for (const c of [...(signer ? [signer] : []), ...chain, ...tokenCerts]) addUnique(m.certs, c);
  // Certificates already collected elsewhere: candidates for issuers, not processed again.
  const pool = () => [...m.certs, ...(x.known ?? [])];
  const done: Uint8Array[] = [];
  const queue: Uint8Array[] = [...(signer ? [signer] : []), ...tokenCerts, ...chain];
  while (queue.length) {
    const cert = queue.shift()!;
    if (done.some((d) => same(d, cert)) || selfSigned(cert)) continue;
    done.push(cert);
    const isSigner = signer !== null && same(cert, signer);
    let issuer: Uint8Array;
    try {
      issuer = await issuerOf(svc, cert, pool());
    } catch (e) {
      // A TSA whose token carries no chain and whose certificate names no caIssuers: its trust
      // anchor is the relying party's (e.g. a trusted list); the certificate is carried as is.
      if (isSigner || chain.some((c) => same(c, cert))) throw e;
      continue;
    }
    addUnique(m.certs, issuer);
    queue.push(issuer);
    const info = certificateInfo(cert);
    if (info.extensions.has(OID.ocspNoCheck)) continue; // RFC 6960 §4.2.2.2.1: trusted for its lifetime
    const urls = certificateUrls(cert);
    let ocsp: FetchedOcsp | null = null;
    const ocspUrls = urls.ocsp.filter(http);
    for (const url of ocspUrls) {
      try {
        ocsp = await svc.fetcher.ocsp(url, issuer, info.serialNumberHex);
        break;
      } catch (e) {
        if (url === ocspUrls.at(-1)) throw e;
      }
    }
    if (ocsp) {
      if (ocsp.status !== 'good') throw new AppError('LTV_ERR_UNAVAILABLE', `The OCSP responder reports the certificate ${info.serialNumberHex} as ${ocsp.status}`);
      addUnique(m.ocsps, ocsp.der);
      for (const c of ocsp.certificates) {
        addUnique(m.certs, c);
        if (!done.some((d) => same(d, c))) queue.push(c);
      }
    }
    for (const url of urls.crl.filter(http)) addUnique(m.crls, await svc.fetcher.crl(url, issuer));
    if (isSigner && (!ocsp || !urls.crl.some(http))) {
      throw new AppError('LTV_ERR_UNAVAILABLE', 'The single-use certificate names no OCSP responder or no CRL distribution point');
    }
  }
  return m;
}

async function issuerOf(svc: LongTermServices, cert: Uint8Array, known: Uint8Array[]): Promise<Uint8Array> {
  const info = certificateInfo(cert);
  const found = known.find((k) => same(certificateInfo(k).subject, info.issuer) && verifyCertificateSignature(cert, k));
  if (found) return found;
  for (const url of certificateUrls(cert).caIssuers.filter(http)) {
    const c = await svc.fetcher.certificate(url);
    if (same(certificateInfo(c).subject, info.issuer) && verifyCertificateSignature(cert, c)) return c;
  }
  throw new AppError('LTV_ERR_UNAVAILABLE', `The issuer of certificate ${info.serialNumberHex} cannot be found`);
}

export interface SignedFile {
  /** The finished B-T (or B-B) file. */
  key: string;
  /** The prepare state of its signature (placeholder offsets, field name). */
  state: string;
}

export interface LongTermRun {
  /**
   * Extends one signed PDF as far as the target level allows; returns the key of the result (the
   * input key itself when nothing could be added). The input file is never modified nor removed.
   */
  extend(file: SignedFile): Promise<string>;
}

/**
 * Prepares B-LT/B-LTA for one sign call: validation material is collected on first use (once for
 * all PDFs). Failures lower the tracker's level and leave the best file reached.
 */
export function longTermRun(
  svc: LongTermServices,
  deps: { now: () => Date; remove: (key: string) => Promise<void>; finish: (key: string, state: string, token: Uint8Array) => Promise<void> },
  args: { choice: LevelChoice; tracker: LevelTracker; signer: Uint8Array; chain: Uint8Array[]; cmsList: Uint8Array[]; tstMaxBytes: number },
): LongTermRun {
  const { tracker } = args;
  let material: Promise<ValidationMaterial> | null = null;
  const docTsHash: TsaHash = args.choice.servers[0]?.hash_algorithm ?? 'sha256';
  // The document timestamp's /Contents is the bare token (ETSI EN 319 142-1 §5.5): its bound + slack.
  const tsContents = Math.ceil((args.tstMaxBytes + 512) / 1024) * 1024;

  const dssOf = async (key: string, state: string, mat: ValidationMaterial): Promise<DssData> => ({
    ...mat,
    vri: [{ signatureContents: await svc.pdf.signatureContents(key, state), ...mat, time: deps.now() }],
  });

  return {
    async extend(file) {
      if (tracker.current !== 'B-LT' && tracker.current !== 'B-LTA') return file.key;
      let mat: ValidationMaterial;
      try {
        material ??= collectValidationData(svc, { signer: args.signer, chain: args.chain, tokenCerts: timestampCertificates(args.cmsList) });
        mat = await material;
      } catch (e) {
        tracker.lower('B-T', reasonOf(e));
        return file.key;
      }
      // The signed file itself stays untouched (the caller removes it once the result is in place).
      const ltKey = `${file.key}.lt`;
      const ltaKey = `${file.key}.lta`;
      const ltbKey = `${file.key}.ltb`;
      for (const k of [ltKey, ltaKey, ltbKey]) await deps.remove(k).catch(() => undefined); // a retried step
      try {
        await svc.pdf.appendDss(file.key, ltKey, await dssOf(file.key, file.state, mat));
      } catch (e) {
        await deps.remove(ltKey).catch(() => undefined);
        tracker.lower('B-T', reasonOf(e));
        return file.key;
      }
      if (tracker.current !== 'B-LTA') return ltKey;

      try {
        const prepared = await svc.pdf.prepareTimestamp(ltKey, ltaKey, { contentsBytes: tsContents, digestAlgorithm: docTsHash });
        const token = await svc.timestamper.timestamp(prepared.digest, docTsHash, args.choice.servers, args.tstMaxBytes);
        await deps.finish(ltaKey, prepared.state, token);
        // A document timestamp from a TSA the DSS does not cover yet: add its validation data too.
        const tsaCerts = parseSignedData(token).certificates;
        if (tsaCerts.some((c) => !mat.certs.some((k) => same(k, c)))) {
          const extra = await collectValidationData(svc, { signer: null, chain: [], tokenCerts: tsaCerts, known: mat.certs });
          await svc.pdf.appendDss(ltaKey, ltbKey, { ...extra, vri: [] });
          await deps.remove(ltaKey).catch(() => undefined);
          await deps.remove(ltKey).catch(() => undefined);
          return ltbKey;
        }
      } catch (e) {
        await deps.remove(ltaKey).catch(() => undefined);
        await deps.remove(ltbKey).catch(() => undefined);
        tracker.lower('B-LT', reasonOf(e));
        return ltKey;
      }
      await deps.remove(ltKey).catch(() => undefined);
      return ltaKey;
    },
  };
}
