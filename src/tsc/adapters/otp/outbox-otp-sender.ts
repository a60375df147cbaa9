/**
 * Sandbox OTP "delivery": appends one JSON line {"request_pk","channel","to","code","at"} to the
 * outbox file (issue 2 §4), where the developer or the demo reads the code. Sandbox only: the
 * factory never builds it in prod, and it refuses to run when constructed for prod.
 */
import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { OtpMessage, OtpSender } from '../../domain/ports.js';

export class OutboxOtpSender implements OtpSender {
  readonly kind = 'outbox';

  constructor(private readonly path: string, env: 'sandbox' | 'prod') {
    if (env !== 'sandbox') throw new Error('the OTP outbox exists only in the sandbox environment');
  }

  async send(m: OtpMessage): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true });
    const line = JSON.stringify({ request_pk: m.requestPk, channel: m.channel, to: m.to, code: m.code, at: m.at.toISOString() }) + '\n';
    // One write of one line with O_APPEND: concurrent writers never interleave within a line.
    await appendFile(this.path, line, { encoding: 'utf8', mode: 0o600 });
  }
}
