/**
 * Public routes without authentication: CA certificates (the AIA caIssuers URL is /pki/issuing.crt),
 * CRLs, OCSP, the PKI disclosure statement and health. The TSA is in tsa-routes.ts.
 */
import { toPem } from './pem.js';
import type { TscFastify, TscHttpContext } from './context.js';
import { HealthResponse } from './schemas.js';
import { AppError } from '../../shared/errors.js';

export function publicRoutes(app: TscFastify, ctx: TscHttpContext): void {
  const ca = ctx.deps.ca;
  const cert = (name: string, der: Uint8Array) => {
    app.get(`/pki/${name}.crt`, { schema: { tags: ['PKI'], summary: `${name} CA certificate (DER)`, produces: ['application/pkix-cert'] } },
      async (_req, reply) => reply.type('application/pkix-cert').header('cache-control', 'public, max-age=3600').send(Buffer.from(der)));
    app.get(`/pki/${name}.pem`, { schema: { tags: ['PKI'], summary: `${name} CA certificate (PEM)`, produces: ['application/x-pem-file'] } },
      async (_req, reply) => reply.type('application/x-pem-file').header('cache-control', 'public, max-age=3600').send(toPem(der, 'CERTIFICATE')));
  };
  cert('root', ca.root.der);
  cert('issuing', ca.issuing.der);
  // The TSA unit's certificate (issue 5): what `openssl ts -verify -untrusted` needs besides the chain.
  for (const [ext, type] of [['crt', 'application/pkix-cert'], ['pem', 'application/x-pem-file']] as const) {
    app.get(`/pki/tsa.${ext}`, { schema: { tags: ['PKI'], summary: `Current TSA unit certificate (${ext === 'crt' ? 'DER' : 'PEM'})`, produces: [type] } },
      async (_req, reply) => {
        if (!ctx.tsaCertificate) throw new AppError('API_ERR_NOT_FOUND', 'This TSC runs no TSA');
        const der = await ctx.tsaCertificate();
        return reply.type(type).header('cache-control', 'public, max-age=3600').send(ext === 'crt' ? Buffer.from(der) : toPem(der, 'CERTIFICATE'));
      });
  }
  app.get('/pki/chain.pem', { schema: { tags: ['PKI'], summary: 'Issuing + root CA (PEM)', produces: ['application/x-pem-file'] } },
    async (_req, reply) => reply.type('application/x-pem-file').send(ca.chain.map((c) => toPem(c, 'CERTIFICATE')).join('')));

  for (const name of ['root', 'issuing'] as const) {
    app.get(`/pki/crl/${name}.crl`, {
      schema: { tags: ['PKI'], summary: `CRL of the ${name} CA (DER)`, produces: ['application/pkix-crl'] },
    }, async (_req, reply) => {
      if (!ctx.crl) throw new AppError('CA_ERR_NOT_READY', 'CRL publication is not available yet');
      return reply.type('application/pkix-crl').send(Buffer.from(await ctx.crl(name)));
    });
  }

  // RFC 6960 Appendix A: POST with application/ocsp-request, or GET with the base64 request in the path.
  app.addContentTypeParser('application/ocsp-request', { parseAs: 'buffer', bodyLimit: 16 * 1024 }, (_req, body, done) => done(null, body));
  const ocspReply = async (der: Uint8Array, reply: import('fastify').FastifyReply) => {
    if (!ctx.ocsp) throw new AppError('CA_ERR_NOT_READY', 'OCSP is not available yet');
    return reply.type('application/ocsp-response').header('cache-control', 'no-cache').send(Buffer.from(await ctx.ocsp(der)));
  };
  app.post('/ocsp', { schema: { tags: ['PKI'], summary: 'OCSP responder (RFC 6960), application/ocsp-request', produces: ['application/ocsp-response'] } },
    async (req, reply) => {
      if (!Buffer.isBuffer(req.body)) throw new AppError('API_ERR_UNSUPPORTED_MEDIA_TYPE', 'Send application/ocsp-request');
      return ocspReply(new Uint8Array(req.body), reply);
    });
  app.get('/ocsp/*', { schema: { tags: ['PKI'], summary: 'OCSP responder, GET form (base64 request in the path)', produces: ['application/ocsp-response'] } },
    async (req, reply) => {
      // The router has already percent-decoded the path parameter; decoding again would turn a
      // literal "%" (never part of base64) into a URIError, i.e. a 500 on bad input.
      const raw = (req.params as Record<string, string>)['*'] ?? '';
      if (raw.length > 4096 || !/^[A-Za-z0-9+/=_-]*$/.test(raw)) throw new AppError('API_ERR_INVALID_PARAMETER', 'Malformed OCSP request');
      return ocspReply(new Uint8Array(Buffer.from(raw, raw.includes('-') || raw.includes('_') ? 'base64url' : 'base64')), reply);
    });

  app.get('/pki/pds/en', { schema: { tags: ['PKI'], summary: 'PKI disclosure statement (EN 319 411-1 §6.9.4)', produces: ['text/plain'] } },
    async (_req, reply) => reply.type('text/plain; charset=utf-8').send(ctx.pdsText));

  app.get('/health', { schema: { tags: ['Health'], summary: 'Liveness and wiring', response: { 200: HealthResponse } } }, async () => {
    await ctx.deps.store.audit.head(); // the database answers
    return {
      status: 'ok', env: ctx.deps.settings.env, key_store: ctx.deps.keyStore.kind, database: 'ok',
      level_bt: ctx.deps.timestamping.default !== null, tsa: ctx.deps.timestamping.defaultKind, tsa_failure_policy: ctx.deps.timestamping.failurePolicy,
    };
  });
}
