/**
 * Every One-Shot route of oneshot-api.md Appendix A except VideoID (its own issue: register it as
 * another plugin next to these), mounted by router.ts under each prefix. Handlers only translate
 * HTTP to use cases and shape the per-generation answer.
 */
import { hostname, machine, release, type as osType, version as osVersion, arch } from 'node:os';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { OptimizerContext } from '../domain/context.js';
import * as documents from '../domain/documents.js';
import * as images from '../domain/images.js';
import * as metadata from '../domain/metadata.js';
import type { ApiGen } from '../domain/ports.js';
import * as requests from '../domain/requests.js';
import { getSettings, updateSettings } from '../domain/settings.js';
import { signRequest } from '../domain/sign.js';
import * as tokens from '../domain/tokens.js';
import { AppError } from '../../shared/errors.js';
import { ok } from './envelope.js';
import { multipartFields, uploadParts } from './multipart.js';
import { sendFile } from './reply-file.js';
import * as S from './schemas.js';

export interface RouteOptions {
  ctx: OptimizerContext;
  gen: ApiGen;
  /** Hide this mount from the OpenAPI document (the doubled Gen C prefix). */
  hidden: boolean;
}

type P = Record<string, string>;
const params = (req: FastifyRequest) => req.params as P;

/**
 * JSON bodies whose absence has a documented answer (the Gen B spec marks /sign's body
 * `required: false`; "Missing required parameter: 'secret'", "…: 'username'", "Missing required
 * parameters"): no body, or a JSON `null`, reaches the use case as `{}` instead of failing the
 * schema with "body must be object".
 */
const absentBodyIsEmpty = async (req: FastifyRequest) => {
  // A form posted to a JSON route has no JSON body either, but "Missing 'secret'" would mislead.
  if (req.isMultipart()) throw new AppError('API_ERR_UNSUPPORTED_MEDIA_TYPE', 'Expected a JSON body (Content-Type: application/json)');
  if (req.body === undefined || req.body === null) req.body = {};
};

export async function oneShotRoutes(app: FastifyInstance, opts: RouteOptions): Promise<void> {
  const { ctx, gen, hidden } = opts;
  const doc = (tag: string, summary: string, extra: Record<string, unknown> = {}) => ({ tags: [tag], summary, hide: hidden, ...extra });

  // ------------------------------------------------------------------ service (§1.1)
  app.get('/hello', { schema: doc('Settings', 'Liveness') }, async (_req, reply) => ok(reply, gen, 'Hello', 'Hello'));

  app.get('/version', { schema: doc('Settings', 'Optimizer version and host info') }, async (_req, reply) =>
    ok(reply, gen, {
      info: { machine: machine(), version: osVersion(), release: release(), hostname: hostname(), system: osType(), processor: arch() },
      version: ctx.version,
      name: 'OneShot Optimizer',
    }, 'Version'),
  );

  app.get('/settings', { schema: doc('Settings', 'Read settings (secrets masked)') }, async (_req, reply) =>
    ok(reply, gen, await getSettings(ctx), 'Settings retrieved'),
  );
  app.post('/settings', { schema: doc('Settings', 'Update settings (deep merge)', { body: S.SettingsBody }) }, async (req, reply) => {
    await updateSettings(ctx, req.body);
    return ok(reply, gen, 'Settings saved successfully', 'Settings saved successfully');
  });

  // ------------------------------------------------------------------ metadata (§1.2)
  app.get('/metadata', { schema: doc('Metadata', 'List metadata') }, async (_req, reply) => ok(reply, gen, await metadata.listMetadata(ctx), 'Metadata retrieved'));
  app.post('/metadata', { schema: doc('Metadata', 'Upload metadata', { body: S.MetadataBody }), preValidation: absentBodyIsEmpty }, async (req, reply) =>
    ok(reply, gen, { metadata: await metadata.uploadMetadata(ctx, req.body) }, 'Metadata uploaded'),
  );
  app.delete('/metadata', { schema: doc('Metadata', 'Delete all metadata') }, async (_req, reply) => {
    await metadata.deleteAllMetadata(ctx);
    return ok(reply, gen, 'All metadata deleted', 'All metadata deleted');
  });
  app.get('/metadata/:uid', { schema: doc('Metadata', 'Get metadata', { params: S.UidParams }) }, async (req, reply) =>
    ok(reply, gen, await metadata.getMetadata(ctx, params(req).uid!), 'Metadata retrieved'),
  );
  app.delete('/metadata/:uid', { schema: doc('Metadata', 'Delete metadata', { params: S.UidParams }) }, async (req, reply) => {
    await metadata.deleteMetadata(ctx, params(req).uid!);
    return ok(reply, gen, 'Metadata successfully deleted', 'Metadata successfully deleted');
  });

  // ------------------------------------------------------------------ tokens (§1.3)
  app.post('/token', { schema: doc('Tokens', 'Create a token (RAO credentials verified by the TSC)', { body: S.TokenBody }), preValidation: absentBodyIsEmpty }, async (req, reply) => {
    const uid = await tokens.createToken(ctx, gen, (req.body ?? {}) as tokens.CreateTokenInput);
    return gen === 'B' ? ok(reply, gen, uid, 'Token created') : ok(reply, gen, { token_uid: uid }, 'Token created');
  });
  app.get('/token/:uid', { schema: doc('Tokens', 'Get a token (secrets as booleans)', { params: S.UidParams }) }, async (req, reply) =>
    ok(reply, gen, await tokens.getToken(ctx, params(req).uid), 'Token retrieved'),
  );
  app.delete('/token/:uid', { schema: doc('Tokens', 'Delete a token', { params: S.UidParams }) }, async (req, reply) => {
    await tokens.deleteToken(ctx, params(req).uid);
    return ok(reply, gen, 'Token deleted successfully', 'Token deleted successfully');
  });
  app.get('/tokens', { schema: doc('Tokens', 'List tokens') }, async (_req, reply) => ok(reply, gen, await tokens.listTokens(ctx), 'Tokens retrieved'));
  app.delete('/tokens', { schema: doc('Tokens', 'Delete every token but the sandbox demo token (Gen A)') }, async (_req, reply) => {
    await tokens.deleteAllTokens(ctx);
    return ok(reply, gen, 'Tokens deleted successfully', 'Tokens deleted successfully');
  });

  // ------------------------------------------------------------------ requests (§1.4)
  const createSchema = doc('Requests', 'Create a request (TSC creates and approves it: ENROLLREADY)', {
    body: { content: { 'application/json': { schema: S.CreateRequestBody }, 'multipart/form-data': { schema: S.MultipartCreateRequestBody } } },
  });
  const create = async (req: FastifyRequest, reply: import('fastify').FastifyReply) => {
    const fields = req.isMultipart() ? await multipartFields(req) : ((req.body ?? {}) as Record<string, unknown>);
    const { pk, asyncmode } = await requests.createRequest(ctx, fields, gen);
    return gen === 'B' ? ok(reply, gen, pk, 'Request created', 201) : ok(reply, gen, { pk, asyncmode }, `Request created with pk ${pk}`, 201);
  };
  app.post('/request', { schema: createSchema }, create);
  app.post('/create', { schema: createSchema }, create);

  app.get('/request/:pk', { schema: doc('Requests', 'Get a request (from the TSC)', { params: S.PkParams }) }, async (req, reply) =>
    ok(reply, gen, await requests.getRequest(ctx, params(req).pk!), 'Request retrieved'),
  );
  app.put('/request/:pk', { schema: doc('Requests', 'Update a request (before issuance)', { params: S.PkParams, body: S.UpdateRequestBody }), preValidation: absentBodyIsEmpty }, async (req, reply) => {
    await requests.updateRequest(ctx, params(req).pk!, req.body);
    return ok(reply, gen, 'Request updated', 'Request updated');
  });
  app.delete('/request/:pk', { schema: doc('Requests', 'Cancel a request and remove its folder', { params: S.PkParams }) }, async (req, reply) => {
    await requests.cancelRequest(ctx, params(req).pk!);
    return ok(reply, gen, 'Request directory removed successfully', 'Request directory removed successfully');
  });
  app.get('/async/status/:pk', { schema: doc('Requests', 'Async-mode status', { params: S.PkParams }) }, async (req, reply) =>
    ok(reply, gen, await requests.asyncStatus(ctx, params(req).pk!), 'Request status'),
  );
  app.post('/otp/:pk', { schema: doc('Requests', 'Send the OTP to the signer (one per minute)', { params: S.PkParams, body: S.OtpBody }) }, async (req, reply) => {
    await requests.sendOtp(ctx, params(req).pk!, req.body);
    return ok(reply, gen, 'OTP generated', 'OTP generated');
  });
  const sign = async (req: FastifyRequest, reply: import('fastify').FastifyReply) => {
    const out = await signRequest(ctx, gen, params(req).pk!, req.body);
    let text = out.queued ? 'Your documents are going to be signed. You will receive them in a few seconds' : 'Documents correctly signed';
    // Issue 5: the level produced is always in the headers; a degradation also changes the text (docs/levels.md).
    if (out.level) {
      reply.header('x-signature-level', out.level.produced).header('x-signature-requested-level', out.level.requested);
      if (out.level.degraded) {
        text = `Documents signed at level ${out.level.produced} instead of ${out.level.requested} (${out.level.reason ?? 'unavailable'})`;
        req.log.warn({ pk: params(req).pk, requested: out.level.requested, produced: out.level.produced, reason: out.level.reason }, 'signature level degraded');
      }
    }
    return ok(reply, gen, text, text);
  };
  const signSchema = doc('Requests', 'Issue the single-use certificate and sign every document and the contract', { params: S.PkParams, body: S.SignBody });
  app.post('/sign/:pk', { schema: signSchema, preValidation: absentBodyIsEmpty }, sign);
  app.post('/async/sign/:pk', { schema: { ...signSchema, summary: 'Alias of /sign (Gen B backup spec)' }, preValidation: absentBodyIsEmpty }, sign);

  // ------------------------------------------------------------------ documents (§1.5)
  const upload = async (req: FastifyRequest, reply: import('fastify').FastifyReply) => {
    const docs = await documents.uploadDocuments(ctx, params(req).pk!, uploadParts(req));
    if (gen === 'B') {
      return ok(reply, gen, docs.length === 1 ? docs[0]!.uid : docs.map((d) => ({ digest: d.digest, uid: d.uid, key: d.key, filename: d.filename })), 'Document uploaded');
    }
    const details = docs.length === 1 ? { name: docs[0]!.key, uid: docs[0]!.uid } : docs.map((d) => ({ name: d.key, uid: d.uid, digest: d.digest, filename: d.filename }));
    // The published Gen C sample spells it "detail": send both for strict clients.
    return reply.code(200).send({ status: 'success', message: docs.length === 1 ? 'Document uploaded' : 'Documents uploaded', details, detail: details });
  };
  const uploadSchema = doc('Documents', 'Upload 1..10 PDFs and/or hashfile JSON (streamed, SHA-256 on the way)', {
    params: S.PkParams, consumes: ['multipart/form-data'], body: { content: { 'multipart/form-data': { schema: S.UploadDocumentBody } } },
  });
  app.post('/document/:pk', { schema: uploadSchema }, upload);
  app.post('/documents/:pk', { schema: { ...uploadSchema, summary: 'Alias of POST /document/{pk} (used by a client)' } }, upload);

  app.get('/documents/:pk', { schema: doc('Documents', 'List documents', { params: S.PkParams }) }, async (req, reply) =>
    ok(reply, gen, await documents.listDocuments(ctx, params(req).pk!), 'Documents retrieved'),
  );
  const deleteAll = async (req: FastifyRequest, reply: import('fastify').FastifyReply) => {
    const pk = params(req).pk!;
    await documents.deleteAllDocuments(ctx, pk);
    return gen === 'B' ? ok(reply, gen, 'Documents deleted successfully', '') : ok(reply, gen, null, `Documents deleted for Request ${pk}`);
  };
  app.delete('/documents/:pk', { schema: doc('Documents', 'Delete all documents', { params: S.PkParams }) }, deleteAll);
  app.delete('/document/:pk', { schema: doc('Documents', 'Delete all documents (Gen C path)', { params: S.PkParams }) }, deleteAll);

  // Literal `contract` is matched before `:uid` by the router (static segments win).
  const contract = async (req: FastifyRequest, reply: import('fastify').FastifyReply) => {
    const q = req.query as { document_type?: string };
    const type = q.document_type ? documents.parseDocumentType(q.document_type, null) : null;
    return sendFile(reply, await documents.getContract(ctx, params(req).pk!, type));
  };
  const contractSchema = doc('Documents', 'Service contract PDF (signed version after /sign unless ?document_type=original)', { params: S.PkParams, querystring: S.DocumentTypeQuery });
  app.get('/document/:pk/contract', { schema: contractSchema }, contract);
  app.get('/contract/:pk', { schema: contractSchema }, contract);

  app.get('/document/:pk/:type/:uid', { schema: doc('Documents', 'Download the original or signed document', { params: S.PkTypeUidParams }) }, async (req, reply) => {
    const p = params(req);
    const type = documents.parseDocumentType(p.type, null);
    return sendFile(reply, await documents.getDocument(ctx, p.pk!, p.uid!, type));
  });
  app.get('/document/:pk/:uid', { schema: doc('Documents', 'Download a document (Gen C: ?document_type=original|signed, default original)', { params: S.PkUidParams, querystring: S.DocumentTypeQuery }) }, async (req, reply) => {
    const p = params(req);
    const type = documents.parseDocumentType((req.query as { document_type?: string }).document_type, 'original');
    return sendFile(reply, await documents.getDocument(ctx, p.pk!, p.uid!, type));
  });
  app.delete('/document/:pk/:type/:uid', { schema: doc('Documents', 'Delete the original (with its signed version) or only the signed file', { params: S.PkTypeUidParams }) }, async (req, reply) => {
    const p = params(req);
    await documents.deleteDocument(ctx, p.pk!, p.uid!, documents.parseDocumentType(p.type, null));
    return ok(reply, gen, 'Document successfully deleted', 'Document successfully deleted');
  });
  app.delete('/document/:pk/:uid', { schema: doc('Documents', 'Delete a document with its signed version (Gen C path)', { params: S.PkUidParams }) }, async (req, reply) => {
    const p = params(req);
    // `DELETE /document/{pk}/original/` is the Gen B route with its uid left out (no uid is a type name).
    if (p.uid === 'original' || p.uid === 'signed') throw new AppError('API_ERR_MISSING_PARAMETER', 'Missing required parameters');
    await documents.deleteDocument(ctx, p.pk!, p.uid!, null);
    return ok(reply, gen, 'Document successfully deleted', 'Document successfully deleted');
  });

  // ------------------------------------------------------------------ ids left out (Gen B 400s)
  // The Gen B spec documents a 400 with its own text when the path's id is empty
  // (`GET /api/v1/token/`, `POST /api/v1/otp/`…); without these routes such calls were a 404
  // "Route … not found". Hidden from the OpenAPI document.
  const missing = (text: string) => async () => {
    throw new AppError('API_ERR_MISSING_PARAMETER', text);
  };
  const noId = { schema: { hide: true } };
  const NO_PK = "Missing required parameters: Request's pk not specified";
  app.get('/token', noId, missing('Missing required parameter: no token uid specified'));
  app.delete('/token', noId, missing('Missing required parameter: no token uid specified'));
  app.post('/otp', noId, missing("Missing parameters: Request's pk not specified"));
  app.post('/document', noId, missing(NO_PK));
  app.post('/documents', noId, missing(NO_PK));
  app.get('/documents', noId, missing(NO_PK));
  app.delete('/documents', noId, missing(NO_PK));
  app.get('/image', noId, missing('Missing required parameters: Image uid not specified'));
  app.delete('/image', noId, missing('Missing required parameters: No image uid specified'));

  // ------------------------------------------------------------------ images (§1.6)
  app.post('/image', {
    schema: doc('Images', 'Upload a PNG for visible signatures', { consumes: ['multipart/form-data'], body: { content: { 'multipart/form-data': { schema: S.UploadImageBody } } } }),
  }, async (req, reply) => {
    const uid = await images.uploadImage(ctx, gen, uploadParts(req));
    return gen === 'B' ? ok(reply, gen, uid, '') : ok(reply, gen, { image_uid: uid }, `Image uploaded with uid '${uid}'`);
  });
  app.get('/image/:uid', { schema: doc('Images', 'Download an image', { params: S.UidParams }) }, async (req, reply) =>
    sendFile(reply, await images.getImage(ctx, params(req).uid)),
  );
  app.delete('/image/:uid', { schema: doc('Images', 'Delete an image', { params: S.UidParams }) }, async (req, reply) => {
    await images.deleteImage(ctx, params(req).uid);
    return ok(reply, gen, 'Image deleted', 'Image deleted');
  });
  app.get('/images', { schema: doc('Images', 'List images (size is [width, height])') }, async (_req, reply) => ok(reply, gen, await images.listImages(ctx), 'Images retrieved'));
  app.delete('/images', { schema: doc('Images', 'Delete all images') }, async (_req, reply) => {
    await images.deleteAllImages(ctx);
    return ok(reply, gen, 'Images deleted successfully', 'Images deleted successfully');
  });
}
