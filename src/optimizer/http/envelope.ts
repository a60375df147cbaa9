/**
 * The two response envelopes and the one error table (oneshot-api.md §0.3):
 *  - Gen B (/api/v1): {"status":"<code> <reason>","details":…}; the HTTP status is the numeric prefix.
 *  - Gen C (/oneshot/api/v1 and /oneshot/api/v1/api/v1): {"status":"success","message":…,"details":…};
 *    errors {"status":"error","message":…,"details":…,"code":"<STABLE_CODE>"} with the same HTTP status.
 * AppError codes map to HTTP statuses through src/shared/errors.ts; 5xx never carry internals.
 */
import type { FastifyReply } from 'fastify';
import { AppError, isAppError, publicMessage, REASON_PHRASES } from '../../shared/errors.js';
import type { ApiGen } from '../domain/ports.js';

export function statusLine(code: number): string {
  return `${code} ${REASON_PHRASES[code] ?? 'Unknown'}`;
}

export function genOfUrl(url: string): ApiGen {
  return url.startsWith('/oneshot/') ? 'C' : 'B';
}

export function ok(reply: FastifyReply, gen: ApiGen, details: unknown, message: string, code = 200): FastifyReply {
  reply.code(code).type('application/json; charset=utf-8');
  return gen === 'B'
    ? reply.send({ status: statusLine(code), details })
    : reply.send({ status: 'success', message, details });
}

type FastifyLikeError = Error & { code?: string; statusCode?: number; validation?: unknown; validationContext?: string };

/** Maps anything thrown in a route (our AppErrors, fastify/multipart errors) to an AppError. */
export function toAppError(err: unknown, limits: { maxFilesPerCall: number; maxUploadBytes: number }): AppError {
  if (isAppError(err)) return err;
  const e = err as FastifyLikeError;
  if (e?.validation) return new AppError('API_ERR_INVALID_PARAMETER', `Invalid parameter: ${e.message}`);
  switch (e?.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new AppError('API_ERR_INVALID_JSON', `Could not parse JSON body - ${e.message}`);
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new AppError('API_ERR_BODY_TOO_LARGE', 'Request body too large');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_INVALID_MULTIPART_CONTENT_TYPE':
      return new AppError('API_ERR_UNSUPPORTED_MEDIA_TYPE', 'Unsupported Content-Type for this route');
    case 'FST_REQ_FILE_TOO_LARGE':
      return new AppError('DOC_ERR_TOO_LARGE', `File too large: the limit is ${limits.maxUploadBytes} bytes`);
    case 'FST_FILES_LIMIT':
      return new AppError('DOC_ERR_TOO_MANY', `Maximum number of documents per call is ${limits.maxFilesPerCall}`);
    case 'FST_PARTS_LIMIT':
    case 'FST_FIELDS_LIMIT':
      return new AppError('API_ERR_BODY_TOO_LARGE', 'Too many parts in the multipart body');
    case 'FST_PROTO_VIOLATION':
    case 'FST_INVALID_JSON_FIELD_ERROR':
      return new AppError('API_ERR_INVALID_PARAMETER', 'Invalid multipart field');
    default:
      break;
  }
  if (e instanceof SyntaxError && e.statusCode === 400) return new AppError('API_ERR_INVALID_JSON', `Could not parse JSON body - ${e.message}`);
  // busboy's complaints about a cut or malformed multipart body
  if (e && /Unexpected end of (form|multipart data)|Part terminated early|Malformed part header|Boundary not found/i.test(e.message ?? '')) {
    return new AppError('API_ERR_INVALID_PARAMETER', 'Malformed multipart body');
  }
  if (e?.statusCode === 404) return new AppError('API_ERR_NOT_FOUND', 'Not Found');
  return new AppError('INTERNAL_ERR', 'Internal server error', undefined, { cause: err });
}

const isTextMap = (d: unknown): boolean =>
  !!d && typeof d === 'object' && !Array.isArray(d) && Object.keys(d).length > 0 && Object.values(d).every((v) => typeof v === 'string');

export function sendError(reply: FastifyReply, gen: ApiGen, err: AppError): FastifyReply {
  const code = err.httpStatus;
  const message = publicMessage(err);
  const hasDetails = err.details !== undefined && err.details !== null && code < 500;
  reply.code(code).type('application/json; charset=utf-8');
  if (gen === 'B') {
    // "Invalid JSON" is the documented Gen B status text for unparsable bodies; the numeric prefix
    // keeps "HTTP code = numeric prefix" true for clients that parse it.
    const status = err.code === 'API_ERR_INVALID_JSON' ? '400 Invalid JSON' : statusLine(code);
    // Field validation errors are a 400 whose details the Gen B spec types as a string
    // (ResponseObject: "Please use the mobile phone number with an international prefix",
    // "Enter a valid email address"); the field map stays in Gen C's `details`.
    // The only object Gen B documents in `details` is the per-document map of /sign
    // (ResponseObject_alt: {"<uid>": "<text>"}); any other details ({"pages": 3} of a page out
    // of range…) would replace the message, so Gen B gets the text.
    const genBDetails = hasDetails && err.code !== 'REQ_ERR_INVALID_FIELD' && isTextMap(err.details);
    return reply.send({ status, details: genBDetails ? err.details : message });
  }
  return reply.send({ status: 'error', message, details: hasDetails ? err.details : null, code: err.code });
}
