/**
 * The TSC error envelope (docs/tsc-api.md "Errors"): {"error": {"code", "message", "details"}} with
 * the HTTP status of ERROR_CODES. Unexpected errors are a 500 with a generic text; their detail
 * goes to the log only, and request bodies are never logged.
 */
import type { FastifyError, FastifyInstance } from 'fastify';
import { AppError, ERROR_CODES, isAppError, publicMessage, type ErrorCode } from '../../shared/errors.js';

export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: unknown };
}

export function errorBody(code: ErrorCode, message: string, details?: unknown): ErrorBody {
  return { error: details === undefined ? { code, message } : { code, message, details } };
}

/** Maps Fastify's own errors (parsing, limits, validation) to stable codes. */
function fromFastify(e: FastifyError): AppError | null {
  if (e.validation) {
    const details = e.validation.map((v) => ({ path: `${e.validationContext ?? ''}${v.instancePath}`, message: v.message }));
    return new AppError('API_ERR_INVALID_PARAMETER', e.message, details);
  }
  switch (e.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new AppError('API_ERR_INVALID_JSON', `Could not parse JSON body - ${e.message}`);
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new AppError('API_ERR_BODY_TOO_LARGE', 'Request body too large');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new AppError('API_ERR_UNSUPPORTED_MEDIA_TYPE', 'Unsupported Media Type: send application/json');
    default:
      break;
  }
  if (e instanceof SyntaxError && (e as FastifyError).statusCode === 400) return new AppError('API_ERR_INVALID_JSON', `Could not parse JSON body - ${e.message}`);
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    const code: ErrorCode = e.statusCode === 413 ? 'API_ERR_BODY_TOO_LARGE' : e.statusCode === 415 ? 'API_ERR_UNSUPPORTED_MEDIA_TYPE' : e.statusCode === 404 ? 'API_ERR_NOT_FOUND' : 'API_ERR_INVALID_PARAMETER';
    return new AppError(code, e.message);
  }
  return null;
}

export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err, req, reply) => {
    const e = isAppError(err) ? err : fromFastify(err as FastifyError);
    if (e) {
      const status = ERROR_CODES[e.code];
      if (status >= 500) req.log.error({ err, code: e.code }, 'request failed');
      return reply.status(status).type('application/json').send(errorBody(e.code, publicMessage(e), status >= 500 ? undefined : e.details));
    }
    req.log.error({ err }, 'unexpected error');
    return reply.status(500).type('application/json').send(errorBody('INTERNAL_ERR', 'Internal server error'));
  });
  app.setNotFoundHandler((req, reply) => {
    reply.status(404).send(errorBody('API_ERR_NOT_FOUND', `Route ${req.method} ${req.url.split('?')[0]} not found`));
  });
}
