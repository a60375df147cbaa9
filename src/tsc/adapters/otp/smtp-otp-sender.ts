/** E-mail OTP delivery through SMTP (nodemailer). SMTP_URL e.g. smtp://user:pass@host:587. */
import nodemailer, { type Transporter } from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport/index.js';
import type { OtpMessage, OtpSender } from '../../domain/ports.js';
import { otpText } from './otp-message-texts.js';

export class SmtpOtpSender implements OtpSender {
  readonly kind = 'smtp';
  private readonly transport: Transporter;

  constructor(url: string, private readonly from: string, opts: { timeoutMs?: number } = {}) {
    const t = opts.timeoutMs ?? 10_000;
    // No debug/logger: the message body holds the code.
    this.transport = nodemailer.createTransport({ url, connectionTimeout: t, greetingTimeout: t, socketTimeout: t, logger: false, debug: false } as SMTPTransport.Options);
  }

  async send(m: OtpMessage): Promise<void> {
    const text = otpText(m.language);
    try {
      await this.transport.sendMail({ from: this.from, to: m.to, subject: text.subject, text: text.body(m.code, m.requestPk) });
    } catch (e) {
      // nodemailer's messages quote the server's reply, which names the recipient ("550 <a@b>: …"),
      // and the error ends up in the log as the cause: keep only the codes (DESIGN.md §5).
      const x = e as { code?: unknown; responseCode?: unknown };
      const code = typeof x.code === 'string' ? x.code : 'ESMTP';
      const reply = typeof x.responseCode === 'number' ? ` ${x.responseCode}` : '';
      throw Object.assign(new Error(`SMTP delivery failed (${code}${reply})`), { code });
    }
  }

  close(): void {
    this.transport.close();
  }
}
