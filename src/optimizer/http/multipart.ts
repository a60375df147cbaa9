/**
 * Adapts @fastify/multipart's streaming iterator (req.parts(): busboy, nothing buffered) to the
 * domain's UploadPart. File streams must be consumed in order by the use case.
 */
import type { FastifyRequest } from 'fastify';
import { AppError } from '../../shared/errors.js';
import type { UploadPart } from '../domain/documents.js';

export async function* uploadParts(req: FastifyRequest): AsyncIterable<UploadPart> {
  if (!req.isMultipart()) throw new AppError('API_ERR_UNSUPPORTED_MEDIA_TYPE', 'Expected a multipart/form-data body');
  for await (const part of req.parts()) {
    if (part.type === 'file') {
      const file = part.file;
      yield {
        fieldName: part.fieldname,
        filename: part.filename,
        mimetype: part.mimetype,
        stream: file,
        truncated: () => file.truncated,
      };
    } else {
      yield { fieldName: part.fieldname, mimetype: part.mimetype, value: typeof part.value === 'string' ? part.value : JSON.stringify(part.value) };
    }
  }
}

/** Collects the text fields of a multipart body, draining (and ignoring) its files. */
export async function multipartFields(req: FastifyRequest): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for await (const p of uploadParts(req)) {
    if (p.stream) {
      // ID images (document_front/rear/owner, extra_document) are accepted for compatibility;
      // the TSC's RA takes no images, so they are read and discarded, never stored.
      for await (const _ of p.stream) void _;
      continue;
    }
    if (p.value !== undefined && !(p.fieldName in out)) out[p.fieldName] = p.value;
  }
  return out;
}
