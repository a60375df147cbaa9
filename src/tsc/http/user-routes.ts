/** Routes the end user authorises through the Optimizer: OTP, contract, signing-info, sign. */
import { getServiceContract } from '../domain/contract/contract-service.js';
import { issueOtp } from '../domain/otp/otp-service.js';
import { signDigests } from '../domain/signing/sign-digests.js';
import { parseIdempotencyKey } from '../domain/signing/sign-replay.js';
import { signingInfo } from '../domain/signing/signing-info.js';
import type { TscFastify, TscHttpContext } from './context.js';
import {
  ErrorSchema, OtpBody, OtpResponse, PkParams, SignBody, SignHeaders, SignResponse, SigningInfoQuery, SigningInfoResponse,
} from './schemas.js';

const errors = { 400: ErrorSchema, 401: ErrorSchema, 403: ErrorSchema, 404: ErrorSchema, 409: ErrorSchema, 412: ErrorSchema, 413: ErrorSchema };

export function userRoutes(app: TscFastify, ctx: TscHttpContext): void {
  const d = ctx.deps;

  app.post('/tsc/v1/requests/:pk/otp', {
    schema: { tags: ['Signing'], summary: 'Generate and send an OTP (one per 60 s)', params: PkParams, body: OtpBody, response: { 200: OtpResponse, ...errors } },
  }, async (req) => issueOtp(d, req.params.pk, req.body?.delivery_method));

  app.get('/tsc/v1/requests/:pk/contract', {
    schema: { tags: ['Signing'], summary: 'Service contract PDF in the request\'s language', params: PkParams, produces: ['application/pdf'] },
  }, async (req, reply) => {
    const c = await getServiceContract(d, req.params.pk);
    return reply
      .type('application/pdf')
      .header('content-language', c.language.toLowerCase())
      .header('content-disposition', `inline; filename="contract-${req.params.pk}.pdf"`)
      .send(Buffer.from(c.pdf));
  });

  app.get('/tsc/v1/signing-info', {
    schema: { tags: ['Signing'], summary: 'Key algorithm, chain and CMS size bound for a profile', querystring: SigningInfoQuery, response: { 200: SigningInfoResponse, ...errors } },
  }, async (req) => signingInfo(d, req.query.profile, req.query.level, req.query.external_tsa === true));

  app.post('/tsc/v1/requests/:pk/sign', {
    bodyLimit: ctx.signBodyLimitBytes,
    schema: {
      tags: ['Signing'], summary: 'Sign digests with a single-use certificate (digests only; max 256 KiB)',
      params: PkParams, headers: SignHeaders, body: SignBody, response: { 200: SignResponse, ...errors },
    },
  }, async (req) => signDigests(d, req.params.pk, req.body, { idempotencyKey: parseIdempotencyKey(req.headers['idempotency-key']) }));
}
