/**
 * X.501 Names for certificates (RFC 5280 §4.1.2.4, §4.1.2.6) with the natural-person and
 * legal-person attributes of ETSI EN 319 412-2 §4.2.4 and EN 319 412-3 §4.2.1.
 */
import { AppError } from '../../shared/errors.js';
import { children, content, ia5String, oid, printableString, readOid, readRoot, seq, setOf, utf8String, type Bytes, parsing } from './der.js';
import { OID } from './oids.js';

/** Attribute values by name; encoded in the fixed order of NAME_ORDER, one attribute per RDN. */
export interface NameSpec {
  C?: string;
  ST?: string;
  L?: string;
  O?: string;
  OU?: string;
  /** ETSI EN 319 412-1 §5.1.4, e.g. "VATES-B12345678". */
  organizationIdentifier?: string;
  /** X.520 serialNumber with ETSI EN 319 412-1 §5.1.3 semantics, e.g. "IDCES-12345678A". */
  serialNumber?: string;
  surname?: string;
  givenName?: string;
  pseudonym?: string;
  title?: string;
  CN?: string;
  emailAddress?: string;
}

const NAME_ORDER: readonly [keyof NameSpec, string][] = [
  ['C', OID.countryName],
  ['ST', OID.stateOrProvinceName],
  ['L', OID.localityName],
  ['O', OID.organizationName],
  ['OU', OID.organizationalUnitName],
  ['organizationIdentifier', OID.organizationIdentifier],
  ['serialNumber', OID.serialNumber],
  ['surname', OID.surname],
  ['givenName', OID.givenName],
  ['pseudonym', OID.pseudonym],
  ['title', OID.title],
  ['CN', OID.commonName],
  ['emailAddress', OID.emailAddress],
];

/** X.520 upper bounds (RFC 5280 App. A.1 ub-*). */
const MAX_LEN: Partial<Record<keyof NameSpec, number>> = {
  C: 2, CN: 64, O: 64, OU: 64, L: 128, ST: 128, serialNumber: 64, surname: 32768, givenName: 32768, title: 64, emailAddress: 255,
};

function encodeValue(key: keyof NameSpec, value: string): Bytes {
  if (typeof value !== 'string' || value.length === 0 || value.length > (MAX_LEN[key] ?? 32768))
    throw new AppError('CMS_ERR_INVALID_ATTRIBUTE', `Name attribute ${key} is empty or too long`);
  if (key === 'C') {
    if (!/^[A-Z]{2}$/.test(value)) throw new AppError('CMS_ERR_INVALID_ATTRIBUTE', 'countryName is an ISO 3166 alpha-2 code');
    return printableString(value);
  }
  if (key === 'serialNumber') return printableString(value);
  if (key === 'emailAddress') return ia5String(value);
  // RFC 5280 §4.1.2.6: DirectoryString values in new certificates are UTF8String.
  return utf8String(value);
}

/** DER Name (RDNSequence) for `spec`; each attribute in its own RDN. */
export function encodeName(spec: NameSpec): Uint8Array {
  const rdns: Bytes[] = [];
  for (const [key, attrOid] of NAME_ORDER) {
    const v = spec[key];
    if (v === undefined) continue;
    rdns.push(setOf([seq(oid(attrOid), encodeValue(key, v))]));
  }
  if (!rdns.length) throw new AppError('CMS_ERR_INVALID_ATTRIBUTE', 'A Name needs at least one attribute');
  return seq(...rdns);
}

export interface NameAttribute {
  oid: string;
  value: string;
}

/** The attributes of a DER Name in order (string values decoded as UTF-8/Latin-1 text). */
export function parseName(der: Uint8Array): NameAttribute[] {
  return parsing('Name', () => parseNameUnchecked(der));
}

function parseNameUnchecked(der: Uint8Array): NameAttribute[] {
  const root = readRoot(der);
  const out: NameAttribute[] = [];
  for (const rdn of children(der, root))
    for (const atv of children(der, rdn)) {
      const [t, v] = children(der, atv);
      const raw = content(der, v!);
      out.push({ oid: readOid(der, t!), value: v!.tag === 0x1e ? Buffer.from(raw).swap16().toString('utf16le') : new TextDecoder().decode(raw) });
    }
  return out;
}

/**
 * ETSI EN 319 412-1 §5.1.3 natural-person semantics identifier: 3-letter type (PAS, IDC, PNO,
 * TIN), ISO 3166 country, "-", identifier. E.g. ("IDC", "ES", "12345678A") → "IDCES-12345678A".
 */
export function etsiPersonIdentifier(type: string, country: string, identifier: string): string {
  if (!/^[A-Z]{3}$/.test(type)) throw new AppError('CMS_ERR_INVALID_ATTRIBUTE', 'Identity type must be 3 capital letters (EN 319 412-1 §5.1.3)');
  if (!/^[A-Z]{2}$/.test(country)) throw new AppError('CMS_ERR_INVALID_ATTRIBUTE', 'Country must be an ISO 3166 alpha-2 code');
  if (!/^[A-Za-z0-9\-./]{1,50}$/.test(identifier)) throw new AppError('CMS_ERR_INVALID_ATTRIBUTE', 'Identifier has characters outside PrintableString');
  return `${type}${country}-${identifier}`;
}
