/**
 * Ports of the long-term levels (issue 5): the PDF increments B-LT/B-LTA add, where validation
 * data comes from, and the TSA of document timestamps. Adapters: adapters/pades-long-term.ts,
 * adapters/http-validation-fetcher.ts, adapters/http-doc-timestamper.ts (wired in app.ts).
 */
import type { PreparedSignature } from './pdf-engine.js';
import type { TsaHash, TsaServerChoice } from './levels.js';

export interface DssData {
  certs: Uint8Array[];
  ocsps: Uint8Array[];
  crls: Uint8Array[];
  /** One VRI entry per signature (ETSI EN 319 142-1 §5.4.2.2), keyed by its /Contents. */
  vri: Array<{ signatureContents: Uint8Array; certs: Uint8Array[]; ocsps: Uint8Array[]; crls: Uint8Array[]; time: Date }>;
}

export interface LongTermPdf {
  /** The /Contents bytes as stored (padding included) of the signature a prepare `state` describes. */
  signatureContents(key: string, state: string): Promise<Uint8Array>;
  /** A copy of `inputKey` at `outputKey` with a DSS increment appended (nothing left behind on failure). */
  appendDss(inputKey: string, outputKey: string, data: DssData): Promise<void>;
  /** A copy of `inputKey` at `outputKey` with a document-timestamp field (ETSI.RFC3161) and its placeholder. */
  prepareTimestamp(inputKey: string, outputKey: string, opts: { contentsBytes: number; digestAlgorithm: TsaHash }): Promise<PreparedSignature>;
}

/** An OCSP answer as fetched: the DER and what it says about the certificate. */
export interface FetchedOcsp {
  der: Uint8Array;
  status: 'good' | 'revoked' | 'unknown';
  /** Certificates the response carries (a delegated responder's). */
  certificates: Uint8Array[];
}

/**
 * Fetches validation data over HTTP, checks it cryptographically, and caches it (heavy,
 * non-sensitive data: DESIGN.md §4). Throws AppError LTV_ERR_UNAVAILABLE.
 */
export interface ValidationFetcher {
  /** Asks `url` about `serialHex` issued by `issuer`; the answer is verified (signer, CertID, nonce, freshness). */
  ocsp(url: string, issuer: Uint8Array, serialHex: string, opts?: { cache?: boolean }): Promise<FetchedOcsp>;
  /** The CRL at `url`, its signature verified with `issuer`. */
  crl(url: string, issuer: Uint8Array): Promise<Uint8Array>;
  /** A certificate from an AIA caIssuers URL (DER or PEM). */
  certificate(url: string): Promise<Uint8Array>;
}

/** RFC 3161 tokens for document timestamps. Throws AppError TSA_ERR_UNAVAILABLE. */
export interface DocTimestamper {
  /**
   * A token over `digest` (already the `hash` of the ByteRange), from `servers` in failover order,
   * or from the TSC's own TSA (POST <TSC>/tsa) when the list is empty. At most `maxBytes`.
   */
  timestamp(digest: Uint8Array, hash: TsaHash, servers: TsaServerChoice[], maxBytes: number): Promise<Uint8Array>;
}

export interface LongTermServices {
  pdf: LongTermPdf;
  fetcher: ValidationFetcher;
  timestamper: DocTimestamper;
}
