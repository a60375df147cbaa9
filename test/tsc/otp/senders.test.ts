/**
 * OTP senders against real local receivers (issue 2 §4): SMTP through nodemailer to an smtp-server
 * listener, the HTTP SMS/WhatsApp gateway to a node:http listener, both wired from the config
 * (SMTP_URL, SMS_GATEWAY_URL) and driven through POST …/otp. Listeners use port 0.
 */
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { HttpGatewayOtpSender } from '../../../src/tsc/adapters/otp/http-gateway-otp-sender.js';
import { OutboxOtpSender } from '../../../src/tsc/adapters/otp/outbox-otp-sender.js';
import { SmtpOtpSender } from '../../../src/tsc/adapters/otp/smtp-otp-sender.js';
import { safeError } from '../../../src/tsc/app.js';
import { AppError } from '../../../src/shared/errors.js';
import { startTestTsc, createApprovedRequest, type TestTsc } from '../support/tsc-harness.js';
import { requestOtp } from '../support/flow.js';

interface Mail { from: string; to: string[]; raw: string }
interface Hit { headers: Record<string, unknown>; body: any }

describe('OTP senders with local receivers', () => {
  let smtp: SMTPServer;
  let smtpPort = 0;
  const mails: Mail[] = [];
  let gateway: Server;
  let gatewayUrl = '';
  const hits: Hit[] = [];
  let gatewayStatus = 200;
  let t: TestTsc;

  before(async () => {
    smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onData(stream, session, cb) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          mails.push({ from: String(session.envelope.mailFrom && session.envelope.mailFrom.address), to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks).toString('utf8') });
          cb();
        });
      },
    });
    await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', () => resolve()));
    smtpPort = (smtp.server.address() as AddressInfo).port;

    gateway = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        hits.push({ headers: req.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
        res.writeHead(gatewayStatus, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => gateway.listen(0, '127.0.0.1', () => resolve()));
    gatewayUrl = `http://127.0.0.1:${(gateway.address() as AddressInfo).port}/send`;

    t = await startTestTsc({
      env: {
        SMTP_URL: `smtp://127.0.0.1:${smtpPort}`, SMTP_FROM: 'TSC <otp@tsc.test>',
        SMS_GATEWAY_URL: gatewayUrl, SMS_GATEWAY_TOKEN: 'gw-token-123',
      },
    });
  });
  after(async () => {
    await t?.close();
    await new Promise<void>((r) => smtp.close(() => r()));
    await new Promise<void>((r) => gateway.close(() => r()));
  });

  test('email channel: one message via SMTP to the request\'s address, code in the body, in its language', async () => {
    const pk = await createApprovedRequest(t, { communication_language: 'PL' });
    const r = await requestOtp(t, pk, { delivery_method: 'email' });
    assert.equal(r.statusCode, 200, r.body);
    assert.equal(mails.length, 1);
    assert.deepEqual(mails[0]!.to, ['maria.nunez@example.com']);
    assert.equal(mails[0]!.from, 'otp@tsc.test');
    const raw = mails[0]!.raw;
    // Decoding the quoted-printable/base64 body is nodemailer's concern; the code digits survive both.
    const m = /(\d{6})/.exec(raw.replace(/=\r?\n/g, ''));
    assert.ok(m, 'a 6-digit code in the mail');
    assert.match(raw, /Subject: Kod podpisu\r\n/); // Polish, the request's language
    assert.match(raw.replace(/=\r?\n/g, ''), /Tw=C3=B3j kod do podpisu/); // "Twój" in UTF-8 quoted-printable
    // The outbox is not used when SMTP delivers.
    const outbox = await import('node:fs/promises').then((fs) => fs.readFile(t.config.outboxPath!, 'utf8').catch(() => ''));
    assert.ok(!outbox.includes(`"request_pk":${pk},`));
  });

  test('sms and whatsapp channels: JSON POST to the gateway with the bearer token', async () => {
    const pk = await createApprovedRequest(t);
    assert.equal((await requestOtp(t, pk, { delivery_method: 'sms' })).statusCode, 200);
    t.clock.advance(60_000);
    assert.equal((await requestOtp(t, pk, { delivery_method: 'whatsapp' })).statusCode, 200);
    assert.equal(hits.length, 2);
    assert.equal(hits[0]!.headers.authorization, 'Bearer gw-token-123');
    assert.equal(hits[0]!.headers['content-type'], 'application/json');
    assert.deepEqual(Object.keys(hits[0]!.body).sort(), ['channel', 'message', 'request_pk', 'to']);
    assert.equal(hits[0]!.body.to, '+34600123123');
    assert.equal(hits[0]!.body.channel, 'sms');
    assert.equal(hits[1]!.body.channel, 'whatsapp');
    assert.match(hits[0]!.body.message, /\b\d{6}\b/);
    assert.equal(hits[0]!.body.request_pk, pk);
  });

  test('a gateway error is a 502 OTP_ERR_DELIVERY_FAILED and the code is discarded', async () => {
    const pk = await createApprovedRequest(t);
    gatewayStatus = 503;
    try {
      const r = await requestOtp(t, pk, { delivery_method: 'sms' });
      assert.equal(r.statusCode, 502);
      assert.equal(r.json().error.code, 'OTP_ERR_DELIVERY_FAILED');
      assert.equal(await t.app.tsc.deps.store.otps.get(pk), null);
      const actions = (await t.app.tsc.deps.store.audit.list(1, 10_000)).filter((e) => e.requestPk === pk).map((e) => e.action);
      assert.ok(actions.includes('otp.send_failed'));
    } finally {
      gatewayStatus = 200;
    }
  });

  test('the gateway sender does not follow redirects and times out', async () => {
    const redirect = createServer((_req, res) => res.writeHead(302, { location: gatewayUrl }).end());
    await new Promise<void>((r) => redirect.listen(0, '127.0.0.1', () => r()));
    const before = hits.length;
    try {
      const s = new HttpGatewayOtpSender(`http://127.0.0.1:${(redirect.address() as AddressInfo).port}/`, null, 2000);
      await assert.rejects(s.send({ requestPk: 1, channel: 'sms', to: '+34600000000', code: '123456', language: 'EN', at: new Date() }), /302/);
      assert.equal(hits.length, before);
    } finally {
      await new Promise<void>((r) => redirect.close(() => r()));
    }
    const silent = createServer(() => { /* never answers */ });
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    try {
      const s = new HttpGatewayOtpSender(`http://127.0.0.1:${(silent.address() as AddressInfo).port}/`, null, 200);
      await assert.rejects(s.send({ requestPk: 1, channel: 'sms', to: '+34600000000', code: '123456', language: 'EN', at: new Date() }));
    } finally {
      silent.closeAllConnections();
      await new Promise<void>((r) => silent.close(() => r()));
    }
  });

  test('an SMTP refusal names no recipient in the error that reaches the log', async () => {
    const refusing = new SMTPServer({
      authOptional: true, disabledCommands: ['STARTTLS'], logger: false,
      onRcptTo(addr, _session, cb) {
        cb(Object.assign(new Error(`<${addr.address}>: Recipient address rejected`), { responseCode: 550 }));
      },
    });
    await new Promise<void>((r) => refusing.listen(0, '127.0.0.1', () => r()));
    const s = new SmtpOtpSender(`smtp://127.0.0.1:${(refusing.server.address() as AddressInfo).port}`, 'otp@tsc.test');
    try {
      const err = await s.send({ requestPk: 1, channel: 'email', to: 'maria.nunez@example.com', code: '123456', language: 'EN', at: new Date() }).then(
        () => assert.fail('the refusal must reject'), (e: unknown) => e as Error);
      assert.equal(err.message, 'SMTP delivery failed (EENVELOPE 550)');
      // What the TSC logs for a failed OTP delivery: the AppError with this error as its cause.
      const logged = JSON.stringify(safeError(new AppError('OTP_ERR_DELIVERY_FAILED', 'The confirmation code could not be delivered', undefined, { cause: err })));
      assert.ok(!logged.includes('maria.nunez'), logged);
      assert.match(logged, /EENVELOPE 550/);
    } finally {
      s.close();
      await new Promise<void>((r) => refusing.close(() => r()));
    }
  });

  test('the outbox sender exists only in the sandbox', () => {
    assert.throws(() => new OutboxOtpSender('/tmp/never-written.jsonl', 'prod'), /sandbox/);
  });
});
