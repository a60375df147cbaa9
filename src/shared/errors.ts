/**
 * Stable error codes and the one table that maps them to HTTP statuses.
 *
 * Every failure that crosses a layer boundary is an AppError with a code from ERROR_CODES.
 * The HTTP layers (optimizer/http, tsc/http) turn it into the API envelope with
 * `httpStatusOf(code)`; 5xx answers never carry `message` of an unexpected error, only
 * a generic text (see `publicMessage`).
 *
 * Codes are grouped by prefix: PDF_ERR_ (PDF engine), CMS_ERR_, KEY_ERR_, OTP_ERR_, REQ_ERR_
 * (request lifecycle), VIDEOID_ERR_, RAO_ERR_, RA_ERR_, DOC_ERR_, IMG_ERR_, TOKEN_ERR_, TSA_ERR_,
 * API_ERR_ (generic HTTP), INTERNAL_ERR_.
 */

export const ERROR_CODES = {
  // Generic API input
  API_ERR_INVALID_JSON: 400,
  API_ERR_MISSING_PARAMETER: 400,
  API_ERR_INVALID_PARAMETER: 400,
  API_ERR_BODY_TOO_LARGE: 413,
  API_ERR_UNSUPPORTED_MEDIA_TYPE: 415,
  API_ERR_UNAUTHORIZED: 401,
  API_ERR_FORBIDDEN: 403,
  API_ERR_NOT_FOUND: 404,
  API_ERR_RATE_LIMITED: 429,
  API_ERR_UPSTREAM_UNAVAILABLE: 502,

  // RAO / tokens
  RAO_ERR_INVALID_CREDENTIALS: 403,
  RAO_ERR_NOT_FOUND: 404,
  RAO_ERR_INCOMPLETE_CREDENTIALS: 400,
  RAO_ERR_PERMISSION_DENIED: 403,
  RAO_ERR_ALREADY_EXISTS: 409,
  RA_ERR_NOT_FOUND: 404,
  TOKEN_ERR_NOT_FOUND: 404,
  TOKEN_ERR_ALREADY_EXISTS: 400,
  TOKEN_ERR_PROTECTED: 403,

  // Requests and their status machine
  REQ_ERR_NOT_FOUND: 404,
  REQ_ERR_INVALID_FIELD: 400,
  REQ_ERR_ILLEGAL_TRANSITION: 412,
  REQ_ERR_ALREADY_ISSUED: 412,
  REQ_ERR_BUSY: 409,
  REQ_ERR_INCOMPLETE_DATA: 412,

  // VideoID (oneshot-api.md §1.7): enablement, evidence, the hosted identification link
  VIDEOID_ERR_NOT_ENABLED: 400,
  VIDEOID_ERR_INVALID_EVIDENCE: 400,
  VIDEOID_ERR_NO_REASON: 400,
  VIDEOID_ERR_NOT_FOUND: 404,
  VIDEOID_ERR_LINK_GONE: 410,
  VIDEOID_ERR_EVIDENCE_LOCKED: 412,
  VIDEOID_ERR_MEDIA_TOO_LARGE: 413,
  VIDEOID_ERR_UNSUPPORTED_MEDIA: 415,
  VIDEOID_ERR_CORRUPT_MEDIA: 422,

  // OTP and external authentication
  OTP_ERR_THROTTLED: 412,
  OTP_ERR_INVALID_STATUS: 412,
  OTP_ERR_INVALID: 403,
  OTP_ERR_EXPIRED: 403,
  OTP_ERR_LOCKED: 403,
  OTP_ERR_NOT_REQUESTED: 403,
  OTP_ERR_DELIVERY_FAILED: 502,
  OTP_ERR_EXT_AUTH_INVALID: 403,

  // Documents, images, metadata
  DOC_ERR_NOT_FOUND: 404,
  DOC_ERR_TOO_MANY: 400,
  DOC_ERR_TOO_LARGE: 413,
  DOC_ERR_UNSUPPORTED_TYPE: 415,
  DOC_ERR_INVALID_HASHFILE: 400,
  IMG_ERR_NOT_FOUND: 404,
  IMG_ERR_UNSUPPORTED_TYPE: 415,
  META_ERR_NOT_FOUND: 404,

  // PDF engine
  PDF_ERR_NOT_PDF: 415,
  PDF_ERR_ENCRYPTED: 422,
  PDF_ERR_BROKEN_XREF: 422,
  PDF_ERR_MALFORMED: 422,
  PDF_ERR_UNSUPPORTED: 422,
  PDF_ERR_PAGE_OUT_OF_RANGE: 400,
  PDF_ERR_BAD_RECTANGLE: 400,
  PDF_ERR_BAD_IMAGE: 400,
  PDF_ERR_BAD_APPEARANCE: 400,
  PDF_ERR_CERTIFIED_NO_CHANGES: 422,
  PDF_ERR_CONTENTS_OVERFLOW: 500,
  PDF_ERR_PLACEHOLDER_NOT_FOUND: 500,

  // CMS / keys / timestamps
  CMS_ERR_INVALID_DIGEST: 400,
  CMS_ERR_UNSUPPORTED_ALGORITHM: 400,
  CMS_ERR_MALFORMED: 422,
  CMS_ERR_INVALID_ATTRIBUTE: 400,
  CMS_ERR_SIGNATURE_MISMATCH: 500,
  CMS_ERR_BAD_OCSP_RESPONSE: 502,
  KEY_ERR_UNAVAILABLE: 503,
  KEY_ERR_NOT_FOUND: 500,
  KEY_ERR_OPERATION_FAILED: 500,
  KEY_ERR_ALREADY_EXISTS: 500,
  KEY_ERR_INVALID_REQUEST: 400,
  TSA_ERR_UNAVAILABLE: 503,
  TSA_ERR_BAD_RESPONSE: 502,
  TSA_ERR_BAD_REQUEST: 400,
  /** B-LT/B-LTA validation data (OCSP, CRL, issuer certificates) could not be fetched or checked. */
  LTV_ERR_UNAVAILABLE: 503,
  CA_ERR_NOT_READY: 503,
  CERT_ERR_NOT_FOUND: 404,
  CERT_ERR_ALREADY_REVOKED: 409,

  // Fallback
  INTERNAL_ERR: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export class AppError extends Error {
  readonly code: ErrorCode;
  /** Structured details for the API envelope (e.g. a per-document map). Never secrets. */
  readonly details: unknown;

  constructor(code: ErrorCode, message: string, details?: unknown, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AppError';
    this.code = code;
    this.details = details;
  }

  get httpStatus(): number {
    return ERROR_CODES[this.code];
  }
}

export function httpStatusOf(code: ErrorCode): number {
  return ERROR_CODES[code];
}

export function isAppError(e: unknown): e is AppError {
  return e instanceof AppError;
}

/** Text safe to show to an API client: 5xx never leaks internals of unexpected errors. */
export function publicMessage(e: unknown): string {
  if (isAppError(e) && (e.httpStatus < 500 || e.code !== 'INTERNAL_ERR')) return e.message;
  return 'Internal server error';
}

/** Standard reason phrases used in the Gen B envelope `"status": "<code> <reason>"`. */
export const REASON_PHRASES: Record<number, string> = {
  200: 'OK', 201: 'Created', 202: 'Accepted', 204: 'No Content',
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed',
  409: 'Conflict', 410: 'Gone', 412: 'Precondition Failed', 413: 'Payload Too Large', 415: 'Unsupported Media Type',
  422: 'Unprocessable Entity', 429: 'Too Many Requests',
  500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout',
};
