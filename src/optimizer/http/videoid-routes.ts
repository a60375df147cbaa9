/**
 * VideoID routes of the One-Shot API (oneshot-api.md §1.7, §1.9, Appendix A), mounted by router.ts
 * under each prefix like routes.ts. Gen B routes name the request_pk, Gen C ones the videoid_pk;
 * either id is accepted (the prefix decides which is looked up first). Our additions, documented in
 * docs/videoid.md: GET/DELETE /videoid/{id}/evidences and GET /videoid/{id}/evidences/{item}.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TSchema } from 'typebox';
import { AppError } from '../../shared/errors.js';
import type { ApiGen } from '../domain/ports.js';
import { createVideoId } from '../domain/videoid.js';
import { uploadEvidences, uploadVideo } from '../domain/videoid-evidence.js';
import * as review from '../domain/videoid-review.js';
import { ok } from './envelope.js';
import type { RouteOptions } from './routes.js';
import * as S from './videoid-schemas.js';

type P = Record<string, string>;
const params = (req: FastifyRequest) => req.params as P;

/** The first file part named one of `names` (other parts are drained), streamed to `use`, with a per-route size cap. */
export async function withFilePart<T>(
  req: FastifyRequest,
  names: string[],
  maxBytes: number,
  use: (file: { stream: AsyncIterable<Uint8Array>; mimetype: string } | null) => Promise<T>,
): Promise<T> {
  if (!req.isMultipart()) throw new AppError('API_ERR_UNSUPPORTED_MEDIA_TYPE', 'Expected a multipart/form-data body');
  let result: { value: T } | null = null;
  try {
    for await (const part of req.parts({ limits: { fileSize: maxBytes + 1, files: 2, fields: 20 } })) {
      if (part.type !== 'file') continue;
      if (result || !names.includes(part.fieldname)) {
        for await (const _ of part.file) void _;
        continue;
      }
      result = { value: await use({ stream: part.file, mimetype: part.mimetype }) };
    }
  } catch (e) {
    if ((e as { code?: string })?.code === 'FST_REQ_FILE_TOO_LARGE') {
      throw new AppError('VIDEOID_ERR_MEDIA_TOO_LARGE', `File too large: the limit is ${maxBytes} bytes`);
    }
    throw e;
  }
  return result ? result.value : use(null);
}

function sendEvidenceFile(reply: FastifyReply, f: review.EvidenceFile): FastifyReply {
  return reply.code(200)
    .header('content-type', f.mime)
    .header('content-length', String(f.size))
    .header('content-disposition', `attachment; filename="${f.filename}"`)
    .header('x-content-type-options', 'nosniff')
    .header('cache-control', 'no-store')
    .send(f.stream);
}

export async function videoidRoutes(app: FastifyInstance, opts: RouteOptions): Promise<void> {
  const { ctx, gen, hidden } = opts;
  const doc = (summary: string, extra: Record<string, unknown> = {}) => ({ tags: ['Video ID'], summary, hide: hidden, ...extra });
  const idName = gen === 'C' ? 'videoid_pk (or request_pk)' : 'request_pk (or videoid_pk)';
  const idParams = S.idParams(idName);
  const text = (reply: FastifyReply, g: ApiGen, t: string) => ok(reply, g, t, t);

  app.post('/videoid', { schema: doc('Create a VideoID request (VIDEOPENDING; eIDAS link or external mode)', { body: S.CreateVideoIdBody }) }, async (req, reply) => {
    const out = await createVideoId(ctx, gen, (req.body ?? {}) as Record<string, unknown>);
    if (gen === 'B') return ok(reply, gen, out, 'VideoID created');
    // The published Gen C sample spells it "detail": send both for strict clients.
    return reply.code(200).send({ status: 'success', message: `VideoID created with pk ${out.videoid_pk}`, details: out, detail: out });
  });

  app.post('/videoid/:id/evidences', {
    bodyLimit: ctx.videoid.maxEvidenceBodyBytes,
    schema: doc('Upload data evidences (external mode): acceptance, images (base64), OCR data, security checks, similarity', { params: idParams, body: S.EvidencesBody }),
  }, async (req, reply) => {
    await uploadEvidences(ctx, gen, params(req).id, req.body);
    return text(reply, gen, 'Videoid evidences uploaded');
  });

  const video = async (req: FastifyRequest, reply: FastifyReply) => {
    await withFilePart(req, ['video', 'file'], ctx.videoid.maxVideoBytes, (file) => uploadVideo(ctx, gen, params(req).id, file));
    return text(reply, gen, 'Videoid video upload completed');
  };
  const videoSchema = doc('Upload the video (external mode; WebM or MP4, streamed, size-limited)', {
    params: idParams, consumes: ['multipart/form-data'], body: { content: { 'multipart/form-data': { schema: S.VideoUploadBody } } },
  });
  app.post('/videoid/:id/evidences/video', { schema: videoSchema }, video);
  app.post('/videoid/:id/video', { schema: { ...videoSchema, summary: 'Upload the video (Gen C path)' } }, video);

  app.post('/videoid/:id/refuse', { schema: doc('RAO refuses the identification with a reason (→ CANCELLED)', { params: idParams, body: S.RefuseBody }) }, async (req, reply) => {
    await review.refuseVideoId(ctx, gen, params(req).id, req.body);
    return text(reply, gen, 'Videoid refuse completed');
  });
  app.post('/videoid/:id/validate', { schema: doc('RAO validates (legacy 2-step mode: VIDEOREVIEW → CREATED; approve follows)', { params: idParams, body: S.ReviewBody }) }, async (req, reply) => {
    await review.validateVideoId(ctx, gen, params(req).id, req.body);
    return text(reply, gen, 'Videoid validated');
  });

  const approveBy = (by: 'request' | 'videoid') => async (req: FastifyRequest, reply: FastifyReply) => {
    await review.approveRequest(ctx, gen, params(req).id ?? params(req).pk, req.body, by);
    return text(reply, gen, 'Request approved successfully');
  };
  // `:pk` like the other /request/{pk} routes (one parameter name per path position).
  const approveSchema = (summary: string, p: TSchema = S.pkParams) => ({ schema: doc(summary, { params: p, body: S.ReviewBody }) });
  app.post('/requests/:pk/approve', approveSchema('RAO approves (→ ENROLLREADY)'), approveBy('request'));
  app.post('/request/:pk/approve', approveSchema('RAO approves (singular path of the Gen B samples)'), approveBy('request'));
  app.post('/requests/:pk/pl_approve', approveSchema('RAO approves (Gen A name)'), approveBy('request'));
  app.post('/videoid/:id/approve', approveSchema('RAO approves (Gen C path)', idParams), approveBy('videoid'));

  const download = async (req: FastifyRequest, reply: FastifyReply) => sendEvidenceFile(reply, await review.downloadVideo(ctx, gen, params(req).id));
  app.get('/videoid/:id/download/video', { schema: doc('Download the video (video/webm or video/mp4)', { params: idParams }) }, download);
  app.get('/download/video/:id', { schema: doc('Download the video (Gen A path)', { params: idParams }) }, download);
  app.get('/videoid/:id/video', { schema: doc('Download the video (Gen C path)', { params: idParams }) }, download);

  app.get('/videoid/:id/evidences', { schema: doc('Evidence summary for the review (our addition)', { params: idParams }) }, async (req, reply) =>
    ok(reply, gen, await review.evidenceSummary(ctx, gen, params(req).id), 'Videoid evidences'),
  );
  app.get('/videoid/:id/evidences/:item', {
    schema: doc('Download one evidence image or the video (our addition)', { params: S.idItemParams(idName) }),
  }, async (req, reply) => sendEvidenceFile(reply, await review.downloadEvidenceItem(ctx, gen, params(req).id, params(req).item)));
  app.delete('/videoid/:id/evidences', {
    schema: doc('RAO deletes the evidence once the review is decided (our addition; audited)', { params: idParams, body: S.ReviewBody }),
  }, async (req, reply) => {
    const n = await review.deleteEvidence(ctx, gen, params(req).id, req.body);
    return text(reply, gen, n ? 'Videoid evidences deleted' : 'No videoid evidences to delete');
  });
}
