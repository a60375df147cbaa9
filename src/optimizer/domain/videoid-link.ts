/**
 * The hosted identification page behind `videoid_link` (eIDAS mode, docs/videoid.md): the signer
 * accepts the terms, declares their identity data, captures the ID document (front, rear) and a
 * selfie, and records a short video. Each step goes through the same evidence path as external
 * mode (videoid-evidence.ts) and the request reaches VIDEOREVIEW when the last item is in.
 *
 * The link's secret is the only credential: 32 random bytes, stored as SHA-256, valid until
 * OPTIMIZER_VIDEOID_LINK_TTL_SECONDS after creation, and used up (410) once the evidence is
 * complete or the request leaves the VideoID states (approved, refused, cancelled).
 */
import { AppError } from '../../shared/errors.js';
import type { OptimizerContext } from './context.js';
import type { RequestRecord } from './ports.js';
import { LINK_TOKEN_RE, linkHashOf } from './videoid.js';
import { applyEvidence, assertOpen, OPEN_STATUSES, openData, uploadMedia, type EvidenceOutcome } from './videoid-evidence.js';
import { parseIdentity } from './videoid-evidence-data.js';
import type { MediaItem, VideoIdRecord } from './videoid-ports.js';
import { evaluate, videoIdSettings } from './videoid-rules.js';

export const TERMS_VERSION = 'oneshot-videoid-terms-1';
/** What the signer accepts; recorded verbatim in the acceptance evidence. */
export const TERMS_TEXT = [
  'To issue a qualified electronic signature certificate in your name, the trust service provider must verify your identity remotely (eIDAS Regulation (EU) No 910/2014, Art. 24(1)).',
  'You agree that this page captures photographs of both sides of your identity document, a photograph of your face and a short video of you, and that they are stored with your certificate request, together with the date, your IP address and your browser identification, as evidence of the identification.',
  'A registration officer reviews this evidence before your certificate can be issued, and may refuse the request.',
  'The evidence is kept as long as the law requires for qualified certificates and is then deleted.',
].join(' ');

export const HOSTED_CAPTURES: readonly MediaItem[] = ['document_front', 'document_rear', 'document_owner', 'video'];

/** The link's VideoID record and request, or the reason it cannot be used (404 unknown, 410 expired/used). */
export async function openLink(ctx: OptimizerContext, token: string | undefined): Promise<{ v: VideoIdRecord; r: RequestRecord }> {
  const invalid = () => new AppError('VIDEOID_ERR_NOT_FOUND', 'This identification link is not valid');
  if (!token || !LINK_TOKEN_RE.test(token)) throw invalid();
  const v = await ctx.videoid.store.byLinkHash(linkHashOf(token));
  const r = v ? await ctx.requests.get(v.requestPk) : null;
  if (!v || !r) throw invalid();
  if (v.linkUsedAt || !OPEN_STATUSES.includes(r.status)) throw new AppError('VIDEOID_ERR_LINK_GONE', 'This identification link has already been used');
  if (v.linkExpiresAt && v.linkExpiresAt.getTime() <= ctx.clock.now().getTime()) {
    throw new AppError('VIDEOID_ERR_LINK_GONE', 'This identification link has expired');
  }
  return { v, r };
}

export interface LinkSession {
  request_status: string;
  expires_at: string | null;
  /** Steps done (acceptance, identity, document_front, document_rear, document_owner, video). */
  done: Record<string, boolean>;
  /** Steps still required (document_rear is not for passports). */
  missing: string[];
  failure: string | null;
  terms: { version: string; text: string; terms_url: string; privacy_url: string };
  limits: { image_bytes: number; video_bytes: number };
}

export async function linkSession(ctx: OptimizerContext, token: string | undefined): Promise<LinkSession> {
  const { v, r } = await openLink(ctx, token);
  const data = openData(ctx, v);
  const vs = videoIdSettings(await ctx.settings.read());
  const steps = ['acceptance', 'identity', ...HOSTED_CAPTURES];
  return {
    request_status: r.status,
    expires_at: v.linkExpiresAt?.toISOString() ?? null,
    done: Object.fromEntries(steps.map((s) => [s, !!v.items[s as keyof VideoIdRecord['items']]])),
    missing: evaluate(v, data, vs.minSimilarity).missing,
    failure: v.failure,
    terms: { version: TERMS_VERSION, text: TERMS_TEXT, terms_url: vs.termsUrl, privacy_url: vs.privacyUrl },
    limits: { image_bytes: ctx.videoid.maxImageBytes, video_bytes: ctx.videoid.maxVideoBytes },
  };
}

/** Step 1: the signer accepts the terms; the acceptance record is the Gen B `acceptance` object. */
export async function acceptTerms(
  ctx: OptimizerContext,
  token: string | undefined,
  body: unknown,
  client: { ip: string; userAgent: string },
): Promise<EvidenceOutcome> {
  const { v } = await openLink(ctx, token);
  const b = body && typeof body === 'object' ? (body as Record<string, unknown>) : {};
  if (b.accepted !== true) throw new AppError('VIDEOID_ERR_INVALID_EVIDENCE', 'The terms must be accepted to continue');
  if (b.terms_version !== TERMS_VERSION) throw new AppError('VIDEOID_ERR_INVALID_EVIDENCE', 'The terms have changed: reload the page');
  const vs = videoIdSettings(await ctx.settings.read());
  const acceptance = {
    description: TERMS_TEXT,
    terms_version: TERMS_VERSION,
    'url-doc-termsconditions': vs.termsUrl,
    'url-doc-privacypolicy': vs.privacyUrl,
    'url-web-videoid': `${ctx.videoid.publicUrl.replace(/\/+$/, '')}/videoid/`,
    ip: client.ip.slice(0, 64),
    'user-agent': client.userAgent.slice(0, 512),
    date: ctx.clock.now().getTime(),
  };
  return applyEvidence(ctx, v.requestPk, { data: { acceptance } });
}

function needAcceptance(v: VideoIdRecord): void {
  if (!v.items.acceptance) throw new AppError('VIDEOID_ERR_EVIDENCE_LOCKED', 'Accept the terms and conditions first');
}

/** Step 2: the signer's identity data (the RAO checks it against the document images). */
export async function declareIdentity(ctx: OptimizerContext, token: string | undefined, body: unknown): Promise<EvidenceOutcome> {
  const { v } = await openLink(ctx, token);
  needAcceptance(v);
  const identity = parseIdentity(body, 'identity');
  // Contact data stays as the RAO created the request.
  delete identity.email;
  delete identity.mobile_phone_number;
  return applyEvidence(ctx, v.requestPk, { data: { identity } });
}

/** Steps 3-6: document front and rear, selfie (document_owner) and the video, streamed. */
export async function uploadCapture(
  ctx: OptimizerContext,
  token: string | undefined,
  item: string | undefined,
  file: { stream: AsyncIterable<Uint8Array>; mimetype: string } | null,
): Promise<EvidenceOutcome> {
  const { v, r } = await openLink(ctx, token);
  if (!(HOSTED_CAPTURES as readonly string[]).includes(String(item))) {
    throw new AppError('VIDEOID_ERR_NOT_FOUND', `Unknown capture (expected ${HOSTED_CAPTURES.join(', ')})`);
  }
  needAcceptance(v);
  assertOpen(r);
  if (!file) throw new AppError('API_ERR_MISSING_PARAMETER', "Missing required parameter: 'file'");
  return uploadMedia(ctx, v.requestPk, item as MediaItem, file.stream, file.mimetype);
}
