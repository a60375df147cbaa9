/**
 * The Optimizer's HTTP surface: the One-Shot routes mounted under /api/v1 (Gen B envelope),
 * /oneshot/api/v1 and /oneshot/api/v1/api/v1 (Gen C envelope), optional trailing slash; one JSON
 * parser that answers "Invalid JSON"; one error handler; the optional API key; OpenAPI at /docs.
 */
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import multipart from '@fastify/multipart';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { TypeBoxValidatorCompiler } from '@fastify/type-provider-typebox';
import { AppError } from '../../shared/errors.js';
import type { OptimizerContext } from '../domain/context.js';
import { apiKeyMatcher } from './auth.js';
import { genOfUrl, sendError, toAppError } from './envelope.js';
import { oneShotRoutes } from './routes.js';
import { videoidPageRoutes } from './videoid-page-routes.js';
import { videoidRoutes } from './videoid-routes.js';

export const PREFIXES = [
  { prefix: '/api/v1', gen: 'B' as const, hidden: false },
  { prefix: '/oneshot/api/v1', gen: 'C' as const, hidden: false },
  { prefix: '/oneshot/api/v1/api/v1', gen: 'C' as const, hidden: true },
];

export interface HttpOptions {
  apiKey: string | null;
  /** Largest JSON body; uploads are bounded by the multipart limits instead. */
  bodyLimit?: number;
  logger?: FastifyServerOptions['logger'];
}

const API_DESCRIPTION = `The One-Shot API, compatible with the Uanataca One-Shot Optimizer.

Every operation is served under three prefixes:
- \`/api/v1/…\` — Gen B envelope \`{"status":"200 OK","details":…}\` (HTTP status = numeric prefix);
- \`/oneshot/api/v1/…\` — Gen C envelope \`{"status":"success","message":…,"details":…}\`, errors
  \`{"status":"error","message":…,"details":…,"code":…}\`;
- \`/oneshot/api/v1/api/v1/…\` — the same Gen C routes as the published Gen C curl samples spell them (not listed below).

A trailing slash is optional everywhere. When OPTIMIZER_API_KEY is set, send it as \`X-API-Key\` or \`Authorization: Bearer\`.`;

export async function buildHttp(ctx: OptimizerContext, opts: HttpOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: opts.logger ?? false,
    bodyLimit: opts.bodyLimit ?? 1024 * 1024,
    routerOptions: { ignoreTrailingSlash: true },
    // Errors the router raises before any route runs (bad percent-encoding, an over-long path
    // segment) get the API envelope too, never fastify's own JSON.
    frameworkErrors: (err, req, reply) => {
      const e = err.code === 'FST_ERR_BAD_URL'
        ? new AppError('API_ERR_INVALID_PARAMETER', 'Invalid URL: bad percent-encoding in the path')
        : err.code === 'FST_ERR_MAX_PARAM_LENGTH'
          ? new AppError('API_ERR_NOT_FOUND', 'Not Found: a path segment is too long')
          : toAppError(err, ctx.limits);
      if (e.httpStatus >= 500) req.log.error({ err: e.cause ?? e, code: e.code }, 'request failed');
      return sendError(reply, genOfUrl(req.url), e);
    },
  });

  // Body validation of `x-docs-only` schemas (multipart) is done by the use cases on the stream.
  app.setValidatorCompiler((c) => {
    if (c.httpPart === 'body' && (c.schema as Record<string, unknown>)['x-docs-only']) return (value: unknown) => ({ value });
    return TypeBoxValidatorCompiler(c as Parameters<typeof TypeBoxValidatorCompiler>[0]);
  });

  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    const text = String(body);
    if (text.trim() === '') return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch (e) {
      done(new AppError('API_ERR_INVALID_JSON', `Could not parse JSON body - ${(e as Error).message}`), undefined);
    }
  });

  await app.register(multipart, {
    limits: {
      fileSize: ctx.limits.maxUploadBytes,
      files: ctx.limits.maxFilesPerCall,
      fields: 100,
      fieldSize: 256 * 1024,
      parts: 200,
      headerPairs: 100,
    },
    throwFileSizeLimit: true,
  });

  await app.register(swagger, {
    openapi: {
      info: { title: 'One-Shot Optimizer API', version: ctx.version, description: API_DESCRIPTION },
      components: {
        securitySchemes: {
          apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
          bearer: { type: 'http', scheme: 'bearer' },
        },
      },
      ...(opts.apiKey ? { security: [{ apiKey: [] }, { bearer: [] }] } : {}),
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  app.setErrorHandler((err, req, reply) => {
    const e = toAppError(err, ctx.limits);
    if (e.httpStatus >= 500) req.log.error({ err: e.cause ?? e, code: e.code }, 'request failed');
    return sendError(reply, genOfUrl(req.url), e);
  });
  app.setNotFoundHandler((req, reply) =>
    sendError(reply, genOfUrl(req.url), new AppError('API_ERR_NOT_FOUND', `Route ${req.method} ${req.url.split('?')[0]!.slice(0, 120)} not found`)),
  );

  if (opts.apiKey) {
    const matches = apiKeyMatcher(opts.apiKey);
    app.addHook('onRequest', async (req, reply) => {
      if (req.url === '/docs' || req.url.startsWith('/docs/')) return;
      // The hosted VideoID page: the link's secret token is the signer's only credential.
      if (req.url.startsWith('/videoid/')) return;
      if (!matches(req)) {
        reply.header('www-authenticate', 'Bearer');
        return sendError(reply, genOfUrl(req.url), new AppError('API_ERR_UNAUTHORIZED', 'Missing or invalid API key'));
      }
    });
  }

  for (const p of PREFIXES) await app.register(oneShotRoutes, { prefix: p.prefix, ctx, gen: p.gen, hidden: p.hidden });
  for (const p of PREFIXES) await app.register(videoidRoutes, { prefix: p.prefix, ctx, gen: p.gen, hidden: p.hidden });
  await app.register(videoidPageRoutes, { ctx });
  return app;
}
