/**
 * VideoID route of the TSC (docs/tsc-api.md): the Optimizer records evidence uploads and deletions
 * in the audit log (item names, SHA-256, sizes; never the evidence). Status changes use
 * `POST …/status`, approval `…/approve`, refusal `…/cancel` (rao-routes.ts).
 */
import { Type } from 'typebox';
import { authenticateRao } from '../domain/ra/rao-accounts.js';
import { recordEvidence } from '../domain/ra/videoid-evidence.js';
import { raoCredentials } from './auth.js';
import type { TscFastify, TscHttpContext } from './context.js';
import { ErrorSchema, PkParams } from './schemas.js';

const EvidenceBody = Type.Object({
  event: Type.String({ description: "'uploaded' or 'deleted'", maxLength: 16 }),
  items: Type.Array(
    Type.Object({
      name: Type.String({ maxLength: 32, description: 'acceptance | identity | ocr_data | security_checks | similarity_level | document_front | document_rear | document_photo | document_owner | video' }),
      sha256: Type.String({ maxLength: 64, description: 'hex SHA-256 of the stored evidence' }),
      size: Type.Integer({ minimum: 0, description: 'bytes' }),
    }, { additionalProperties: false }),
    { maxItems: 16 },
  ),
}, { additionalProperties: false });

const EvidenceResponse = Type.Object({
  audit_seq: Type.Integer({ description: 'sequence number of the audit entry' }),
  audit_hash: Type.String({ description: 'its chain hash (hex)' }),
});

const errors = { 400: ErrorSchema, 401: ErrorSchema, 403: ErrorSchema, 404: ErrorSchema, 412: ErrorSchema };

export function videoidRoutes(app: TscFastify, ctx: TscHttpContext): void {
  const d = ctx.deps;
  app.post('/tsc/v1/requests/:pk/evidence', {
    schema: {
      tags: ['RA'], summary: 'Record VideoID evidence uploaded or deleted (audit only: names, SHA-256, sizes)',
      params: PkParams, body: EvidenceBody, response: { 200: EvidenceResponse, ...errors },
    },
  }, async (req) => {
    const { rao } = await authenticateRao(d, raoCredentials(req), { password: true, pin: false });
    const entry = await recordEvidence(d, rao, req.params.pk, req.body.event, req.body.items);
    return { audit_seq: entry.seq, audit_hash: entry.hash };
  });
}
