/** What the HTTP layer needs: the domain dependencies (wired by app.ts) and the API credentials. */
import type { FastifyBaseLogger, FastifyInstance, RawReplyDefaultExpression, RawRequestDefaultExpression, RawServerDefault } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { SigningDeps } from '../domain/signing/sign-digests.js';
import type { TsaReply } from '../domain/tsa/time-stamp-authority.js';

export interface TscHttpContext {
  deps: SigningDeps;
  clientApiKey: string;
  adminApiKey: string;
  signBodyLimitBytes: number;
  /** Produces the current CRL of a CA (DER), or null while CRL building is not available. */
  crl: ((ca: 'root' | 'issuing') => Promise<Uint8Array>) | null;
  /** Answers a DER OCSPRequest with a DER OCSPResponse, or null while OCSP is not available. */
  ocsp: ((requestDer: Uint8Array) => Promise<Uint8Array>) | null;
  /** Answers a DER TimeStampReq (POST /tsa), or null when this TSC runs no TSA of its own. */
  tsa: ((requestDer: Uint8Array) => Promise<TsaReply>) | null;
  /** The current TSA unit certificate (DER), for relying parties (GET /pki/tsa.crt|pem). */
  tsaCertificate: (() => Promise<Uint8Array>) | null;
  pdsText: string;
}

export type TscFastify = FastifyInstance<
  RawServerDefault, RawRequestDefaultExpression, RawReplyDefaultExpression, FastifyBaseLogger, TypeBoxTypeProvider
>;
