/**
 * POST /tsa: the public RFC 3161 time-stamping endpoint (issue 5 §1). RFC 3161 §3.4: the request is
 * a DER TimeStampReq sent as application/timestamp-query, the answer a DER TimeStampResp as
 * application/timestamp-reply. Every refusal is a TimeStampResp with status rejection and a
 * PKIFailureInfo bit, never a JSON body, so any RFC 3161 client can read it:
 *  - another content type → 415, badRequest;  a body over 16 KiB → 413, badRequest;
 *  - not a DER TimeStampReq → 400, badDataFormat;
 *  - a well-formed request the TSA will not honour (hash, policy, extensions) → 200 with the
 *    matching failure bit (the protocol answered it).
 */
import { buildTimeStampRejection } from '../../lib/cms/index.js';
import type { TscFastify, TscHttpContext } from './context.js';

const QUERY = 'application/timestamp-query';
const REPLY = 'application/timestamp-reply';

export function tsaRoutes(app: TscFastify, ctx: TscHttpContext): void {
  app.register(async (tsa) => {
    tsa.removeAllContentTypeParsers();
    tsa.addContentTypeParser(QUERY, { parseAs: 'buffer', bodyLimit: 16 * 1024 }, (_req, body, done) => done(null, body));
    // Anything else is read as opaque bytes too (bounded), and refused by the handler with 415.
    tsa.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: 16 * 1024 }, (_req, _body, done) => done(null, null));
    tsa.setErrorHandler((err, req, reply) => {
      const status = (err as { statusCode?: number }).statusCode;
      const httpStatus = status === 413 ? 413 : status === 415 ? 415 : status && status < 500 ? 400 : 500;
      if (httpStatus === 500) req.log.error({ err }, 'tsa failed');
      return reply.status(httpStatus).type(REPLY).send(Buffer.from(buildTimeStampRejection(httpStatus === 500 ? 'systemFailure' : 'badRequest',
        httpStatus === 413 ? 'The request is larger than 16 KiB' : httpStatus === 500 ? 'The time-stamping unit is not available' : 'Malformed request')));
    });

    tsa.post('/tsa', {
      schema: {
        tags: ['PKI'], summary: 'RFC 3161 time-stamping authority (application/timestamp-query → application/timestamp-reply)',
        consumes: [QUERY], produces: [REPLY],
      },
    }, async (req, reply) => {
      const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
      if (type !== QUERY || !Buffer.isBuffer(req.body)) {
        return reply.status(415).type(REPLY).send(Buffer.from(buildTimeStampRejection('badRequest', `Send a DER TimeStampReq as ${QUERY}`)));
      }
      if (!ctx.tsa) return reply.status(503).type(REPLY).send(Buffer.from(buildTimeStampRejection('systemFailure', 'The time-stamping unit is not available')));
      const r = await ctx.tsa(new Uint8Array(req.body));
      return reply.status(r.httpStatus).type(REPLY).header('cache-control', 'no-store').send(Buffer.from(r.body));
    });
  });
}
