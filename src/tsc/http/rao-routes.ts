/** RA routes called by the Optimizer on behalf of an RAO (docs/tsc-api.md "Client routes"). */
import { authenticateRao } from '../domain/ra/rao-accounts.js';
import { loadRequestView } from '../domain/ra/request-view.js';
import {
  approveRequest, cancelRequest, createRequest, getRequest, setVideoStatus, updateRequest, type CreateRequestInput,
} from '../domain/ra/requests.js';
import type { RequestRecord } from '../domain/model.js';
import { raoCredentials } from './auth.js';
import type { TscFastify, TscHttpContext } from './context.js';
import {
  CreateRequestBody, ErrorSchema, PkParams, RaoVerifyResponse, ReasonBody, RequestObject, StatusBody, UpdateRequestBody,
} from './schemas.js';

const errors = { 400: ErrorSchema, 401: ErrorSchema, 403: ErrorSchema, 404: ErrorSchema, 409: ErrorSchema, 412: ErrorSchema };
const raoHeaders = {
  type: 'object',
  properties: {
    'x-rao-username': { type: 'string', description: 'RAO username' },
    'x-rao-password': { type: 'string', description: 'RAO password' },
    'x-rao-pin': { type: 'string', description: 'RAO PIN (approve)' },
  },
} as const;

export function raoRoutes(app: TscFastify, ctx: TscHttpContext): void {
  const d = ctx.deps;
  const view = (r: RequestRecord) => loadRequestView(d.store, r, d.settings.certValiditySeconds);
  const auth = (req: Parameters<typeof raoCredentials>[0], pin = false) =>
    authenticateRao(d, raoCredentials(req), { password: true, pin }).then((a) => a.rao);

  app.post('/tsc/v1/rao/verify', {
    schema: { tags: ['RA'], summary: 'Check RAO credentials (password and PIN checked when sent)', headers: raoHeaders, response: { 200: RaoVerifyResponse, ...errors } },
  }, async (req) => {
    const r = await authenticateRao(d, raoCredentials(req), { password: false, pin: false });
    return {
      rao_id: r.rao.id, username: r.rao.username, registration_authority: r.rao.registrationAuthority,
      password_checked: r.passwordChecked, pin_checked: r.pinChecked,
    };
  });

  app.post('/tsc/v1/requests', {
    schema: {
      tags: ['RA'], summary: 'Create a request (approve:true creates it ENROLLREADY; needs the PIN)', headers: raoHeaders,
      body: CreateRequestBody, response: { 201: RequestObject, ...errors },
    },
  }, async (req, reply) => {
    const body = req.body as CreateRequestInput;
    const wantsApproval = body.approve === true || body.approve === 1 || body.approve === 'true' || body.approve === '1';
    const rao = await auth(req, wantsApproval);
    const rec = await createRequest(d, rao, body);
    return reply.status(201).send(await view(rec));
  });

  app.get('/tsc/v1/requests/:pk', {
    schema: { tags: ['RA'], summary: 'Get a request (Gen B request object)', headers: raoHeaders, params: PkParams, response: { 200: RequestObject, ...errors } },
  }, async (req) => view(await getRequest(d, await auth(req), req.params.pk)));

  app.put('/tsc/v1/requests/:pk', {
    schema: { tags: ['RA'], summary: 'Update identity data (before issuance)', headers: raoHeaders, params: PkParams, body: UpdateRequestBody, response: { 200: RequestObject, ...errors } },
  }, async (req) => view(await updateRequest(d, await auth(req), req.params.pk, req.body)));

  app.post('/tsc/v1/requests/:pk/approve', {
    schema: { tags: ['RA'], summary: 'Approve (→ ENROLLREADY); needs the PIN', headers: raoHeaders, params: PkParams, response: { 200: RequestObject, ...errors } },
  }, async (req) => view(await approveRequest(d, await auth(req, true), req.params.pk)));

  app.post('/tsc/v1/requests/:pk/cancel', {
    schema: { tags: ['RA'], summary: 'Cancel or refuse (→ CANCELLED)', headers: raoHeaders, params: PkParams, body: ReasonBody, response: { 200: RequestObject, ...errors } },
  }, async (req) => view(await cancelRequest(d, await auth(req), req.params.pk, req.body?.reason)));

  app.post('/tsc/v1/requests/:pk/status', {
    schema: { tags: ['RA'], summary: 'VideoID status change', headers: raoHeaders, params: PkParams, body: StatusBody, response: { 200: RequestObject, ...errors } },
  }, async (req) => view(await setVideoStatus(d, await auth(req), req.params.pk, req.body.status, req.body.reason)));
}
