/**
 * X.509 v2 CRLs (RFC 5280 §5) signed through a CmsSigner: CRL number, authority key
 * identifier, entries with reason codes, whole-second thisUpdate/nextUpdate.
 */
import { wholeSeconds } from '../../shared/clock.js';
import { AppError } from '../../shared/errors.js';
import { signatureAlgorithmDer } from './algorithms.js';
import { certificateInfo, subjectKeyIdentifierOf } from './certificate-info.js';
import { bitString, children, content, explicit, readOid, readRoot, readTime, seq, slice, smallInteger, TAG, tlv, unsignedInteger, x509Time } from './der.js';
import { crlReasonCode, crlReasonName, type CrlReason } from './crl-reasons.js';
import { OID } from './oids.js';
import { verifyRaw } from './verify.js';
import { defaultHashFor } from './x509-builder.js';
import { authorityKeyIdentifier, encodeExtension } from './x509-extensions.js';
import type { CmsSigner, DigestAlgorithmName } from './signer.js';

export interface CrlEntry {
  /** The revoked certificate's serial, as certificateInfo().serialNumberHex (INTEGER content octets). */
  serialNumberHex: string;
  revocationDate: Date;
  /** Omitted from the entry when 'unspecified' or absent (RFC 5280 §5.3.1). */
  reason?: CrlReason;
}

export interface BuildCrlInput {
  issuerCertificate: Uint8Array;
  signer: CmsSigner;
  thisUpdate: Date;
  nextUpdate: Date;
  /** Monotonically increasing per CA (RFC 5280 §5.2.3). */
  crlNumber: bigint | number;
  entries: CrlEntry[];
  signatureHash?: DigestAlgorithmName;
}

function bigintBytes(n: bigint): Uint8Array {
  if (n < 0n) throw new AppError('CMS_ERR_INVALID_ATTRIBUTE', 'CRL numbers are non-negative');
  const hex = n.toString(16);
  return Uint8Array.from(Buffer.from(hex.length % 2 ? `0${hex}` : hex, 'hex'));
}

export async function buildCrl(input: BuildCrlInput): Promise<Uint8Array> {
  const issuer = certificateInfo(input.issuerCertificate);
  const thisUpdate = wholeSeconds(input.thisUpdate);
  const nextUpdate = wholeSeconds(input.nextUpdate);
  if (!(nextUpdate > thisUpdate)) throw new AppError('CMS_ERR_INVALID_ATTRIBUTE', 'nextUpdate must be after thisUpdate');
  const h = input.signatureHash ?? defaultHashFor(input.signer.keyAlgorithm);
  const sigAlg = signatureAlgorithmDer(input.signer.keyAlgorithm, h);
  const entries = input.entries.map((e) => {
    if (!/^([0-9a-f]{2})+$/i.test(e.serialNumberHex)) throw new AppError('CMS_ERR_INVALID_ATTRIBUTE', 'Serial must be hex octets');
    const exts = e.reason && e.reason !== 'unspecified'
      ? [seq(encodeExtension({ oid: OID.cRLReason, critical: false, value: tlv(0x0a, Uint8Array.of(crlReasonCode(e.reason))) }))]
      : [];
    return seq(tlv(TAG.INTEGER, Buffer.from(e.serialNumberHex, 'hex')), x509Time(wholeSeconds(e.revocationDate)), ...exts);
  });
  const crlExtensions = seq(
    encodeExtension(authorityKeyIdentifier(subjectKeyIdentifierOf(issuer))),
    encodeExtension({ oid: OID.cRLNumber, critical: false, value: unsignedInteger(bigintBytes(BigInt(input.crlNumber))) }),
  );
  const tbs = seq(
    smallInteger(1), // v2: the CRL has extensions (RFC 5280 §5.1.2.1)
    sigAlg,
    issuer.subject,
    x509Time(thisUpdate),
    x509Time(nextUpdate),
    ...(entries.length ? [seq(...entries)] : []), // an empty list is omitted, not encoded empty
    explicit(0, crlExtensions),
  );
  const signature = await input.signer.sign(tbs, h);
  if (!verifyRaw(issuer.spki, tbs, signature, h))
    throw new AppError('CMS_ERR_SIGNATURE_MISMATCH', 'The CRL signature does not verify with the issuer certificate');
  return seq(tbs, sigAlg, bitString(signature));
}

export interface ParsedCrl {
  tbs: Uint8Array;
  issuer: Uint8Array;
  thisUpdate: Date;
  nextUpdate?: Date;
  crlNumber?: bigint;
  entries: { serialNumberHex: string; revocationDate: Date; reason?: CrlReason }[];
  signatureAlgorithm: string;
  signature: Uint8Array;
}

export function parseCrl(der: Uint8Array): ParsedCrl {
  try {
    const root = readRoot(der);
    const [tbsT, algT, sigT] = children(der, root);
    const f = children(der, tbsT!);
    let i = f[0]!.tag === TAG.INTEGER ? 1 : 0;
    i++; // signature AlgorithmIdentifier
    const issuer = slice(der, f[i++]!).slice();
    const thisUpdate = readTime(der, f[i++]!);
    const out: ParsedCrl = {
      tbs: slice(der, tbsT!).slice(), issuer, thisUpdate, entries: [],
      signatureAlgorithm: readOid(der, children(der, algT!)[0]!), signature: content(der, sigT!).subarray(1).slice(),
    };
    for (const t of f.slice(i)) {
      if (t.tag === TAG.UTC_TIME || t.tag === TAG.GENERALIZED_TIME) out.nextUpdate = readTime(der, t);
      else if (t.tag === TAG.SEQUENCE)
        out.entries = children(der, t).map((e) => {
          const [s, d, x] = children(der, e);
          const entry: ParsedCrl['entries'][number] = { serialNumberHex: Buffer.from(content(der, s!)).toString('hex'), revocationDate: readTime(der, d!) };
          for (const ext of x ? children(der, x) : []) {
            const parts = children(der, ext);
            if (readOid(der, parts[0]!) === OID.cRLReason) {
              const v = content(der, parts[parts.length - 1]!);
              entry.reason = crlReasonName(v[2]!);
            }
          }
          return entry;
        });
      else if (t.tag === 0xa0)
        for (const ext of children(der, children(der, t)[0]!)) {
          const parts = children(der, ext);
          if (readOid(der, parts[0]!) === OID.cRLNumber) {
            const v = content(der, parts[parts.length - 1]!);
            out.crlNumber = BigInt(`0x${Buffer.from(content(v, readRoot(v))).toString('hex') || '0'}`);
          }
        }
    }
    return out;
  } catch (e) {
    throw new AppError('CMS_ERR_MALFORMED', 'Malformed CRL', undefined, { cause: e });
  }
}

