/**
 * Optional API key (OPTIMIZER_API_KEY): when set, every API route needs it as `X-API-Key: <key>`
 * or `Authorization: Bearer <key>`. Compared in constant time over SHA-256 digests so neither the
 * key's length nor its prefix leaks through timing.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

export function apiKeyMatcher(apiKey: string): (req: FastifyRequest) => boolean {
  const want = digest(apiKey);
  return (req) => {
    const header = req.headers['x-api-key'];
    const auth = req.headers.authorization;
    const given = typeof header === 'string' ? header : typeof auth === 'string' && /^Bearer\s+/i.test(auth) ? auth.replace(/^Bearer\s+/i, '') : null;
    return given !== null && timingSafeEqual(digest(given), want);
  };
}
