/**
 * Credentials on the TSC API (docs/tsc-api.md "Authentication"): bearer API keys for the Optimizer
 * (client) and the administrator, RAO headers for RA routes. Keys are compared in constant time
 * over their SHA-256, so neither length nor content leaks through timing.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../shared/errors.js';
import type { RaoCredentials } from '../domain/ra/rao-accounts.js';

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

export function bearerGuard(expected: string, realm: 'client' | 'admin') {
  const want = digest(expected);
  return async (req: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    const h = req.headers.authorization;
    const m = typeof h === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(h) : null;
    if (!m || !timingSafeEqual(digest(m[1]!), want)) {
      throw new AppError('API_ERR_UNAUTHORIZED', realm === 'admin' ? 'Admin credential required' : 'Client credential required');
    }
  };
}

function header(req: FastifyRequest, name: string): string | undefined {
  const v = req.headers[name];
  if (Array.isArray(v)) return undefined;
  return typeof v === 'string' && v.length > 0 && v.length <= 256 ? v : undefined;
}

export function raoCredentials(req: FastifyRequest): RaoCredentials {
  return { username: header(req, 'x-rao-username'), password: header(req, 'x-rao-password'), pin: header(req, 'x-rao-pin') };
}
