/**
 * Encryption of RAO secrets at rest: AES-256-GCM (NIST SP 800-38D) with a random 96-bit IV and
 * the record's id as additional authenticated data, so a sealed value cannot be moved to another
 * record. Duplicate detection uses an HMAC fingerprint under a key derived from the master key
 * (HKDF, RFC 5869), never the plaintext.
 */
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { AppError } from '../../shared/errors.js';

const VERSION = 'v1';

export class SecretBox {
  private readonly encKey: Buffer;
  private readonly macKey: Buffer;

  constructor(masterKey: Uint8Array) {
    if (masterKey.length !== 32) throw new Error('master key must be 32 bytes');
    this.encKey = Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), 'oneshot-optimizer/enc', 32));
    this.macKey = Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), 'oneshot-optimizer/mac', 32));
  }

  seal(plaintext: string, aad: string): string {
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', this.encKey, iv);
    c.setAAD(Buffer.from(aad, 'utf8'));
    const ct = Buffer.concat([c.update(plaintext, 'utf8'), c.final()]);
    return [VERSION, iv.toString('base64'), ct.toString('base64'), c.getAuthTag().toString('base64')].join('.');
  }

  open(sealed: string, aad: string): string {
    const [v, iv, ct, tag] = sealed.split('.');
    if (v !== VERSION || iv === undefined || ct === undefined || tag === undefined) {
      throw new AppError('INTERNAL_ERR', 'sealed secret has an unknown format');
    }
    try {
      const d = createDecipheriv('aes-256-gcm', this.encKey, Buffer.from(iv, 'base64'));
      d.setAAD(Buffer.from(aad, 'utf8'));
      d.setAuthTag(Buffer.from(tag, 'base64'));
      return Buffer.concat([d.update(Buffer.from(ct, 'base64')), d.final()]).toString('utf8');
    } catch (e) {
      // Wrong master key or tampered record: an operator problem, never the client's.
      throw new AppError('INTERNAL_ERR', 'cannot decrypt a stored secret (wrong ONESHOT_MASTER_KEY?)', undefined, { cause: e });
    }
  }

  /** Deterministic keyed fingerprint of several fields (length-prefixed so fields cannot shift). */
  fingerprint(...parts: (string | null | undefined)[]): string {
    const h = createHmac('sha256', this.macKey);
    for (const p of parts) {
      const b = Buffer.from(p ?? '\u0000null', 'utf8');
      const len = Buffer.alloc(4);
      len.writeUInt32BE(b.length);
      h.update(len).update(b);
    }
    return h.digest('hex');
  }
}
