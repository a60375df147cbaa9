/**
 * Validation of the signer's identity data with the One-Shot error texts (oneshot-api.md §1.4 #14).
 *
 * Length limits keep every value inside the X.520 upper bounds of RFC 5280 Appendix A
 * (ub-serial-number 64 with the ETSI prefix, ub-emailaddress-length 255) and keep the single-use
 * certificate, and so the CMS, under the size bound published by GET /signing-info.
 */
import { AppError } from '../../../shared/errors.js';
import { ID_DOCUMENT_TYPES, LANGUAGES, PROFILES, type IdentityData, type IdDocumentType, type Language, type ProfileName } from '../model.js';
import { isCountryCode } from './countries.js';

export const LIMITS = { name: 64, email: 128, serialNumber: 32, residence: 128 } as const;

export const TEXT = {
  missing: (f: string) => `Missing parameter: ${f} required`,
  email: 'Enter a valid email address',
  mobile: 'Please use the mobile phone number with an international prefix',
  idType: `The id_document_type specified is not valid. Valid options are ${ID_DOCUMENT_TYPES.join(', ')}`,
  country: (v: string) => `'${v}' is not a valid ISO 3166-1 alpha-2 country code`,
  profile: `The profile specified is not valid. Valid options are ${PROFILES.join(', ')}`,
  language: `The communication_language specified is not valid. Valid options are ${LANGUAGES.join(', ')}`,
  name: (f: string) => `${f} must be 1-${LIMITS.name} letters, spaces, apostrophes, dots or hyphens`,
  serial: `serial_number must be 1-${LIMITS.serialNumber} characters of A-Z a-z 0-9 . / -`,
  text: (f: string, n: number) => `${f} must be at most ${n} printable characters`,
};

/** The identity fields of the API (snake_case, as in One-Shot). */
export interface IdentityInput {
  given_name?: unknown;
  surname_1?: unknown;
  surname_2?: unknown;
  email?: unknown;
  mobile_phone_number?: unknown;
  id_document_type?: unknown;
  id_document_country?: unknown;
  serial_number?: unknown;
  residence?: unknown;
  residence_city?: unknown;
  residence_postal_code?: unknown;
  residence_address?: unknown;
}

export type Errors = Record<string, string[]>;

const NAME_RE = /^[\p{L}\p{M}][\p{L}\p{M}' .·-]*$/u;
// rfc822Name in subjectAltName is an IA5String (RFC 5280 §4.2.1.6): ASCII only.
const EMAIL_RE = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;
// E.164: "+", country code, at most 15 digits in all.
const MOBILE_RE = /^\+[1-9]\d{6,14}$/;
// X520SerialNumber is a PrintableString (RFC 5280 §A.1): keep to a safe subset.
const SERIAL_RE = /^[A-Za-z0-9./-]+$/;
// Printable text without control characters.
const TEXT_RE = /^[^\p{Cc}\p{Cf}]*$/u;

function str(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return typeof v === 'string' ? v.trim() : undefined;
}

function add(errors: Errors, field: string, text: string): void {
  (errors[field] ??= []).push(text);
}

export function throwIfErrors(errors: Errors): void {
  const fields = Object.keys(errors);
  if (fields.length === 0) return;
  throw new AppError('REQ_ERR_INVALID_FIELD', errors[fields[0]!]![0]!, errors);
}

/** Normalises a mobile number ("0034 600-12 31 23" → "+34600123123"); returns undefined if impossible. */
export function normaliseMobile(v: string): string | undefined {
  let s = v.replace(/[\s().-]/g, '');
  if (s.startsWith('00')) s = '+' + s.slice(2);
  return MOBILE_RE.test(s) ? s : undefined;
}

/**
 * Validates a full identity (`partial=false`) or only the fields present (`partial=true`, for
 * updates). Returns the normalised values; throws REQ_ERR_INVALID_FIELD with every problem in
 * `details` ({"<field>": ["<text>"]}) and the first text as message.
 */
export function validateIdentity(input: IdentityInput, partial: boolean): Partial<IdentityData> {
  const errors: Errors = {};
  const out = collectIdentity(input, partial, errors);
  throwIfErrors(errors);
  return out;
}

/** As validateIdentity, but adds problems to `errors` instead of throwing. */
export function collectIdentity(input: IdentityInput, partial: boolean, errors: Errors): Partial<IdentityData> {
  const out: Partial<IdentityData> = {};
  const present = (f: keyof IdentityInput) => input[f] !== undefined && input[f] !== null;

  const nameField = (f: 'given_name' | 'surname_1' | 'surname_2', key: 'givenName' | 'surname1' | 'surname2', required: boolean) => {
    if (!present(f)) {
      if (required && !partial) add(errors, f, TEXT.missing(f));
      // An optional name left out of a new request is stored empty (surname_2 is optional in Gen B/C).
      else if (!partial) out[key] = '';
      return;
    }
    const v = str(input[f]);
    if (v === undefined) return add(errors, f, TEXT.name(f));
    if (v === '' && !required) {
      out[key] = '';
      return;
    }
    if (v === '') return add(errors, f, TEXT.missing(f));
    if (v.length > LIMITS.name || !NAME_RE.test(v)) return add(errors, f, TEXT.name(f));
    out[key] = v.normalize('NFC');
  };
  nameField('given_name', 'givenName', true);
  nameField('surname_1', 'surname1', true);
  nameField('surname_2', 'surname2', false);

  if (!present('email')) {
    if (!partial) add(errors, 'email', TEXT.missing('email'));
  } else {
    const v = str(input.email);
    if (!v || v.length > LIMITS.email || !EMAIL_RE.test(v)) add(errors, 'email', TEXT.email);
    else out.email = v;
  }

  if (!present('mobile_phone_number')) {
    if (!partial) add(errors, 'mobile_phone_number', TEXT.missing('mobile_phone_number'));
  } else {
    const v = str(input.mobile_phone_number);
    const m = v === undefined ? undefined : normaliseMobile(v);
    if (!m) add(errors, 'mobile_phone_number', TEXT.mobile);
    else out.mobilePhoneNumber = m;
  }

  if (!present('id_document_type')) {
    if (!partial) out.idDocumentType = 'IDC';
  } else {
    const v = str(input.id_document_type)?.toUpperCase();
    if (!v || !(ID_DOCUMENT_TYPES as readonly string[]).includes(v)) add(errors, 'id_document_type', TEXT.idType);
    else out.idDocumentType = v as IdDocumentType;
  }

  if (!present('id_document_country')) {
    if (!partial) out.idDocumentCountry = 'ES';
  } else {
    const raw = str(input.id_document_country) ?? String(input.id_document_country);
    const v = raw.toUpperCase();
    if (!isCountryCode(v)) add(errors, 'id_document_country', TEXT.country(raw.slice(0, 16)));
    else out.idDocumentCountry = v;
  }

  if (!present('serial_number')) {
    if (!partial) add(errors, 'serial_number', TEXT.missing('serial_number'));
  } else {
    const v = str(input.serial_number);
    if (!v || v.length > LIMITS.serialNumber || !SERIAL_RE.test(v)) add(errors, 'serial_number', TEXT.serial);
    else out.serialNumber = v.toUpperCase();
  }

  const textField = (f: 'residence' | 'residence_city' | 'residence_postal_code' | 'residence_address',
    key: 'residence' | 'residenceCity' | 'residencePostalCode' | 'residenceAddress') => {
    if (!present(f)) {
      if (!partial) out[key] = '';
      return;
    }
    const v = str(input[f]);
    if (v === undefined || v.length > LIMITS.residence || !TEXT_RE.test(v)) add(errors, f, TEXT.text(f, LIMITS.residence));
    else out[key] = v.normalize('NFC');
  };
  textField('residence', 'residence');
  textField('residence_city', 'residenceCity');
  textField('residence_postal_code', 'residencePostalCode');
  textField('residence_address', 'residenceAddress');
  return out;
}

export function validateProfile(v: unknown, errors: Errors): ProfileName | undefined {
  const s = str(v);
  if (s === undefined || s === '') {
    add(errors, 'profile', TEXT.missing('profile'));
    return undefined;
  }
  if (!(PROFILES as readonly string[]).includes(s)) {
    add(errors, 'profile', TEXT.profile);
    return undefined;
  }
  return s as ProfileName;
}

export function validateLanguage(v: unknown, errors: Errors): Language | undefined {
  const s = str(v);
  if (s === undefined || s === '') return 'ES';
  const u = s.toUpperCase();
  if (!(LANGUAGES as readonly string[]).includes(u)) {
    add(errors, 'communication_language', TEXT.language);
    return undefined;
  }
  return u as Language;
}
