/**
 * The hosted identification page behind `videoid_link` (docs/videoid.md): `GET /videoid/{token}`
 * serves a plain HTML/CSS/JS page (no build step; assets under /videoid/assets/), and the page talks
 * to `/videoid/{token}/…` JSON and multipart endpoints. The link's token is the only credential,
 * so these routes are outside the API prefixes and the optional API key. Responses are never
 * cached and never sent as a referrer (the token is in the URL).
 */
import { readFileSync } from 'node:fs';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { OptimizerContext } from '../domain/context.js';
import { acceptTerms, declareIdentity, linkSession, openLink, uploadCapture } from '../domain/videoid-link.js';
import { AppError, isAppError, publicMessage } from '../../shared/errors.js';
import { ok } from './envelope.js';
import { withFilePart } from './videoid-routes.js';

const ASSET_DIR = new URL('./videoid-page/', import.meta.url);
const ASSETS: Record<string, { type: string; body: Buffer }> = Object.fromEntries(
  [['app.js', 'text/javascript; charset=utf-8'], ['app.css', 'text/css; charset=utf-8']].map(([name, type]) =>
    [name, { type: type!, body: readFileSync(new URL(name!, ASSET_DIR)) }]),
);
const PAGE = readFileSync(new URL('index.html', ASSET_DIR), 'utf8');

const CSP = [
  "default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self' blob: data:", "media-src 'self' blob: mediastream:",
  "connect-src 'self'", "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'",
].join('; ');

function secure(reply: FastifyReply): FastifyReply {
  return reply
    .header('cache-control', 'no-store')
    .header('referrer-policy', 'no-referrer')
    .header('x-content-type-options', 'nosniff')
    .header('x-frame-options', 'DENY')
    .header('permissions-policy', 'camera=(self), microphone=(self)');
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** Request log lines without the link's secret (it is in the URL path). */
const redactedReq = (req: FastifyRequest) => ({
  method: req.method,
  url: req.url.replace(/^\/videoid\/[^/?]+/, '/videoid/[link]'),
  remoteAddress: req.ip,
});

/**
 * The signer's address for the acceptance evidence. Behind `hops` reverse proxies, each appending
 * its peer to X-Forwarded-For, the client is the entry `hops` places from the right (the socket's
 * peer being place 0) — the rule of fastify's numeric trustProxy. Entries further left are
 * whatever the client sent and are never believed.
 */
export function clientAddress(req: FastifyRequest, hops: number): string {
  if (hops <= 0) return req.ip;
  const forwarded = String(req.headers['x-forwarded-for'] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const chain = [req.ip, ...forwarded.reverse()];
  return chain[Math.min(hops, chain.length - 1)]!;
}

type P = Record<string, string>;
const params = (req: FastifyRequest) => req.params as P;

export async function videoidPageRoutes(app: FastifyInstance, opts: { ctx: OptimizerContext }): Promise<void> {
  const { ctx } = opts;
  app.addHook('onSend', async (_req, reply) => {
    secure(reply);
  });
  const hide = { hide: true };
  const logSerializers = { req: redactedReq };

  app.get('/videoid/assets/:file', { schema: hide, logSerializers }, async (req, reply) => {
    const a = ASSETS[params(req).file ?? ''];
    if (!a) return reply.code(404).type('text/plain').send('Not found');
    return reply.code(200).type(a.type).send(a.body);
  });

  app.get('/videoid/:token', { schema: hide, logSerializers }, async (req, reply) => {
    reply.header('content-security-policy', CSP);
    try {
      await openLink(ctx, params(req).token);
      return reply.code(200).type('text/html; charset=utf-8').send(PAGE);
    } catch (e) {
      if (!isAppError(e) || e.httpStatus >= 500) throw e;
      const page = PAGE.replace('<main id="app" data-state="loading">', `<main id="app" data-state="error" data-error="${esc(publicMessage(e))}">`);
      return reply.code(e.httpStatus).type('text/html; charset=utf-8').send(page);
    }
  });

  app.get('/videoid/:token/session', { schema: hide, logSerializers }, async (req, reply) =>
    ok(reply, 'B', await linkSession(ctx, params(req).token), ''),
  );

  app.post('/videoid/:token/accept', { schema: hide, logSerializers }, async (req, reply) => {
    const client = { ip: clientAddress(req, ctx.videoid.proxyHops), userAgent: String(req.headers['user-agent'] ?? '') };
    const out = await acceptTerms(ctx, params(req).token, req.body, client);
    return ok(reply, 'B', { status: out.status, missing: out.missing }, '');
  });

  app.post('/videoid/:token/identity', { schema: hide, logSerializers }, async (req, reply) => {
    const out = await declareIdentity(ctx, params(req).token, req.body);
    return ok(reply, 'B', { status: out.status, missing: out.missing }, '');
  });

  // Anything else under /videoid/ is a 404 whose log line does not carry a token either.
  app.all('/videoid/*', { schema: hide, logSerializers }, async (req) => {
    throw new AppError('API_ERR_NOT_FOUND', `Route ${req.method} /videoid/… not found`);
  });

  app.post('/videoid/:token/capture/:item', { schema: hide, logSerializers }, async (req, reply) => {
    const p = params(req);
    const max = p.item === 'video' ? ctx.videoid.maxVideoBytes : ctx.videoid.maxImageBytes;
    const out = await withFilePart(req, ['file'], max, (file) => uploadCapture(ctx, p.token, p.item, file));
    return ok(reply, 'B', { status: out.status, missing: out.missing, failure: out.failure }, '');
  });
}
