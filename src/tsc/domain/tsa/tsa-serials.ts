/**
 * TSTInfo serial numbers (RFC 3161 §2.4.2: unique for each token from a given TSA, up to 160 bits).
 *
 * 128 bits: a 64-bit strictly increasing counter seeded from the clock in microseconds (so serials
 * grow with time and never repeat within a process, even with a stopped or stepped-back clock),
 * followed by a 64-bit random instance id drawn at start (so two TSC processes sharing the TSA
 * certificate never collide, without a shared counter or a database round trip per token).
 */
import { randomBytes } from 'node:crypto';

export class TsaSerials {
  private last = 0n;
  private readonly instance: Buffer;

  constructor(instance: Uint8Array = randomBytes(8)) {
    if (instance.length !== 8) throw new RangeError('The instance id is 8 octets');
    this.instance = Buffer.from(instance);
  }

  next(now: Date): Uint8Array {
    const t = BigInt(now.getTime()) * 1000n;
    this.last = t > this.last ? t : this.last + 1n;
    const out = Buffer.alloc(16);
    out.writeBigUInt64BE(this.last & 0xffff_ffff_ffff_ffffn, 0);
    this.instance.copy(out, 8);
    return new Uint8Array(out);
  }
}
