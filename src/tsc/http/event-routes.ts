/** GET /tsc/v1/events: the certificate status feed the Optimizer polls (client key). */
import { Type } from 'typebox';
import { listCertificateEvents } from '../domain/events/certificate-events.js';
import type { TscFastify, TscHttpContext } from './context.js';
import { ErrorSchema } from './schemas.js';

const EventsQuery = Type.Object({
  after: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'last sequence number already seen (0: from the start)' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'audit entries to read (default 500)' })),
}, { additionalProperties: false });

const EventsResponse = Type.Object({
  events: Type.Array(Type.Object({
    seq: Type.Integer(),
    type: Type.Literal('CERTIFICATE_REVOKED'),
    at: Type.String(),
    request_pk: Type.Union([Type.Integer(), Type.Null()]),
    serial_number: Type.String(),
    reason: Type.Union([Type.String(), Type.Null()]),
    valid_from: Type.String(),
    valid_to: Type.String(),
  })),
  next: Type.Integer({ description: 'pass as `after` in the next call' }),
});

export function eventRoutes(app: TscFastify, ctx: TscHttpContext): void {
  app.get('/tsc/v1/events', {
    // Every Optimizer polls this every few seconds: its request lines would drown the log at info.
    logLevel: 'warn',
    schema: {
      tags: ['Events'], summary: 'Certificate status changes (revocations) after a sequence number',
      querystring: EventsQuery, response: { 200: EventsResponse, 400: ErrorSchema, 401: ErrorSchema },
    },
  }, async (req) => listCertificateEvents(ctx.deps, req.query.after ?? 0, req.query.limit ?? 500));
}
