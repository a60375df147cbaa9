/**
 * Where a certificate says its validation data lives (RFC 5280 §4.2.2.1 authorityInfoAccess:
 * id-ad-ocsp and id-ad-caIssuers; §4.2.1.13 cRLDistributionPoints fullName), for collecting
 * B-LT material (ETSI EN 319 142-1 §5.4.2). Only URI GeneralNames are returned.
 */
import { certificateInfo } from './certificate-info.js';
import { children, content, readOid, readRoot, type Bytes, type Tlv } from './der.js';
import { OID } from './oids.js';

export interface CertificateUrls {
  ocsp: string[];
  caIssuers: string[];
  crl: string[];
}

const URI_TAG = 0x86; // GeneralName uniformResourceIdentifier [6] IMPLICIT IA5String
const text = (b: Bytes, t: Tlv) => Buffer.from(content(b, t)).toString('latin1');

function uris(b: Bytes, t: Tlv, depth = 0): string[] {
  if (t.tag === URI_TAG) return [text(b, t)];
  // Constructed: descend (DistributionPoint → [0] name → [0] fullName → GeneralNames).
  if (depth > 4 || (t.tag & 0x20) === 0) return [];
  return children(b, t).flatMap((c) => uris(b, c, depth + 1));
}

export function certificateUrls(der: Uint8Array): CertificateUrls {
  const info = certificateInfo(der);
  const out: CertificateUrls = { ocsp: [], caIssuers: [], crl: [] };
  const aia = info.extensions.get(OID.authorityInfoAccess);
  if (aia) {
    for (const ad of children(aia.value, readRoot(aia.value))) {
      const [m, loc] = children(aia.value, ad);
      if (!m || !loc || loc.tag !== URI_TAG) continue;
      const method = readOid(aia.value, m);
      if (method === OID.adOcsp) out.ocsp.push(text(aia.value, loc));
      else if (method === OID.adCaIssuers) out.caIssuers.push(text(aia.value, loc));
    }
  }
  const dp = info.extensions.get(OID.cRLDistributionPoints);
  if (dp) {
    for (const point of children(dp.value, readRoot(dp.value))) {
      // Only the distributionPoint [0] field; reasons [1] and cRLIssuer [2] name no CRL location.
      const name = children(dp.value, point).find((x) => x.tag === 0xa0);
      if (name) out.crl.push(...uris(dp.value, name));
    }
  }
  return out;
}
