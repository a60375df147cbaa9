/** Binary answers (PDF, P7M, PNG, JSON originals) streamed from the blob store. */
import type { FastifyReply } from 'fastify';
import type { DocumentDownload } from '../domain/documents.js';

export function sendFile(reply: FastifyReply, f: DocumentDownload): FastifyReply {
  // RFC 6266: an ASCII fallback name plus the UTF-8 one.
  const ascii = f.filename.replace(/[^\x20-\x7e]|["\\]/g, '_');
  reply
    .code(200)
    .header('content-type', f.mime)
    .header('content-length', String(f.size))
    .header('content-disposition', `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(f.filename)}`)
    .header('x-content-type-options', 'nosniff');
  return reply.send(f.stream);
}
