/**
 * Table shapes of the TSC (prefix tsc_), shared by SQLite and PostgreSQL. Times are integer
 * milliseconds since the epoch (PostgreSQL bigint comes back as a string: read through `num`),
 * booleans are 0/1, DER is base64 text: one set of queries works on both engines.
 */
import type { Generated } from 'kysely';

type Int8 = number | string | bigint;

export interface TscDatabase {
  tsc_raos: {
    id: Generated<number>;
    username: string;
    registration_authority: number;
    password_hash: string;
    pin_hash: string;
    created_at: Int8;
  };
  tsc_requests: {
    pk: Generated<number>;
    status: string;
    given_name: string;
    surname_1: string;
    surname_2: string;
    email: string;
    mobile_phone_number: string;
    serial_number: string;
    id_document_type: string;
    id_document_country: string;
    residence: string;
    residence_city: string;
    residence_postal_code: string;
    residence_address: string;
    profile: string;
    registration_authority: number;
    scratchcard: string;
    communication_language: string;
    videoid_mode: number;
    registering_rao_id: number;
    approving_rao_id: number | null;
    status_reason: string | null;
    signing_since: Int8 | null;
    created_at: Int8;
    updated_at: Int8;
  };
  tsc_otps: {
    request_pk: number;
    code_hmac: string;
    channel: string;
    created_at: Int8;
    expires_at: Int8;
    attempts: number;
    used_at: Int8 | null;
  };
  tsc_certificates: {
    serial: string;
    request_pk: number;
    profile: string;
    not_before: Int8;
    not_after: Int8;
    der_b64: string;
    status: string;
    revoked_at: Int8 | null;
    revocation_reason: string | null;
  };
  tsc_ca: {
    name: string;
    cert_der_b64: string;
    key_label: string | null;
    created_at: Int8;
  };
  tsc_service_certs: {
    serial: string;
    purpose: string;
    cert_der_b64: string;
    key_label: string;
    not_before: Int8;
    not_after: Int8;
    created_at: Int8;
  };
  tsc_sign_results: {
    request_pk: number;
    input_hash: string;
    auth_hash: string;
    result_json: string;
    created_at: Int8;
    failures: number;
  };
  tsc_ext_auth_nonces: {
    nonce: string;
    request_pk: number;
    expires_at: Int8;
  };
  tsc_audit: {
    seq: Int8;
    at: string;
    actor: string;
    action: string;
    request_pk: number | null;
    details: string;
    prev_hash: string;
    hash: string;
  };
  tsc_audit_head: {
    id: number;
    seq: Int8;
    hash: string;
  };
}

export const num = (v: Int8): number => Number(v);
export const numOrNull = (v: Int8 | null): number | null => (v === null ? null : Number(v));
