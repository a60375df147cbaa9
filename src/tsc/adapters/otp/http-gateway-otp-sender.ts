/**
 * SMS / WhatsApp OTP delivery through an HTTP gateway: POST JSON
 * {"channel","to","message","request_pk"} to SMS_GATEWAY_URL with `Authorization: Bearer <token>`
 * when a token is configured. Any 2xx is success; anything else, a timeout or a redirect is a
 * delivery failure (redirects are not followed: the body carries a code).
 */
import type { OtpMessage, OtpSender } from '../../domain/ports.js';
import { otpText } from './otp-message-texts.js';

export class HttpGatewayOtpSender implements OtpSender {
  readonly kind = 'http';

  constructor(private readonly url: string, private readonly token: string | null, private readonly timeoutMs = 5000) {
    const u = new URL(url);
    if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new Error('SMS_GATEWAY_URL must be http(s)');
  }

  async send(m: OtpMessage): Promise<void> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    const res = await fetch(this.url, {
      method: 'POST',
      headers,
      redirect: 'manual',
      signal: AbortSignal.timeout(this.timeoutMs),
      body: JSON.stringify({ channel: m.channel, to: m.to, message: otpText(m.language).body(m.code, m.requestPk), request_pk: m.requestPk }),
    });
    // Drain the body so the connection can be reused; its content is not needed.
    await res.arrayBuffer().catch(() => undefined);
    if (res.status < 200 || res.status >= 300) throw new Error(`SMS gateway answered ${res.status}`);
  }
}
