/** Administrator routes (admin API key): RAO accounts, revocation, audit verification. */
import { verifyAuditChain } from '../domain/audit/audit-chain.js';
import { revokeCertificate } from '../domain/ca/revocation.js';
import { createRao, raoView, removeRao } from '../domain/ra/rao-accounts.js';
import { iso } from '../domain/ra/request-view.js';
import { bearerGuard } from './auth.js';
import type { TscFastify, TscHttpContext } from './context.js';
import {
  AuditVerifyResponse, ErrorSchema, NewRaoBody, RaoItem, RevokeBody, RevokeResponse, SerialParams, UsernameParams,
} from './schemas.js';
import { Type } from 'typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';

const errors = { 400: ErrorSchema, 401: ErrorSchema, 404: ErrorSchema, 409: ErrorSchema };

export function adminRoutes(app: TscFastify, ctx: TscHttpContext): void {
  const d = ctx.deps;
  app.register(async (instance) => {
    const admin = instance.withTypeProvider<TypeBoxTypeProvider>();
    admin.addHook('onRequest', bearerGuard(ctx.adminApiKey, 'admin'));

    admin.post('/tsc/v1/admin/raos', {
      schema: { tags: ['Admin'], summary: 'Create an RAO account', body: NewRaoBody, response: { 201: RaoItem, ...errors } },
    }, async (req, reply) => {
      const b = req.body;
      const rec = await createRao({ store: d.store, clock: d.clock, scrypt: d.settings.scrypt }, {
        username: b.username, password: b.password, pin: b.pin, registrationAuthority: b.registration_authority,
      });
      return reply.status(201).send(raoView(rec));
    });

    admin.get('/tsc/v1/admin/raos', {
      schema: { tags: ['Admin'], summary: 'List RAO accounts', response: { 200: Type.Array(RaoItem), ...errors } },
    }, async () => (await d.store.raos.list()).map(raoView));

    admin.delete('/tsc/v1/admin/raos/:username', {
      schema: { tags: ['Admin'], summary: 'Remove an RAO account', params: UsernameParams, response: { 204: Type.Null(), ...errors } },
    }, async (req, reply) => {
      await removeRao({ store: d.store, clock: d.clock, scrypt: d.settings.scrypt }, req.params.username);
      return reply.status(204).send(null);
    });

    admin.post('/tsc/v1/admin/certificates/:serial/revoke', {
      schema: { tags: ['Admin'], summary: 'Revoke a certificate', params: SerialParams, body: RevokeBody, response: { 200: RevokeResponse, ...errors } },
    }, async (req) => {
      const c = await revokeCertificate(d, req.params.serial, req.body?.reason);
      return { serial_number: c.serial, status: c.status, revoked_at: iso(c.revokedAt!), reason: c.revocationReason! };
    });

    admin.get('/tsc/v1/admin/audit/verify', {
      schema: { tags: ['Admin'], summary: 'Verify the audit hash chain', response: { 200: AuditVerifyResponse, ...errors } },
    }, async () => verifyAuditChain(d.store.audit));
  });
}
