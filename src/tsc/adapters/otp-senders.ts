/** Builds the sender of each OTP channel from the configuration (channel → sender rules: docs/tsc.md, "Configuration"). */
import type { TscConfig } from '../config.js';
import type { OtpChannel } from '../domain/context.js';
import type { OtpSender } from '../domain/ports.js';
import { HttpGatewayOtpSender } from './otp/http-gateway-otp-sender.js';
import { OutboxOtpSender } from './otp/outbox-otp-sender.js';
import { SmtpOtpSender } from './otp/smtp-otp-sender.js';

export interface BuiltSenders {
  senders: Record<OtpChannel, OtpSender | null>;
  close(): void;
}

export function buildOtpSenders(config: TscConfig): BuiltSenders {
  const outbox = config.env === 'sandbox' && config.outboxPath ? new OutboxOtpSender(config.outboxPath, config.env) : null;
  const smtp = config.smtp ? new SmtpOtpSender(config.smtp.url, config.smtp.from) : null;
  const http = config.smsGateway ? new HttpGatewayOtpSender(config.smsGateway.url, config.smsGateway.token, config.smsGateway.timeoutMs) : null;
  const pick = (kind: 'outbox' | 'smtp' | 'http'): OtpSender | null => (kind === 'outbox' ? outbox : kind === 'smtp' ? smtp : http);
  return {
    senders: { sms: pick(config.otp.senders.sms), whatsapp: pick(config.otp.senders.whatsapp), email: pick(config.otp.senders.email) },
    close: () => smtp?.close(),
  };
}
