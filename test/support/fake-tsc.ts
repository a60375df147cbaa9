/**
 * TEST DOUBLE of the TSC (docs/tsc-api.md), used until the real TSC's in-process app lands and
 * for failure injection. It speaks the documented routes and errors over real HTTP on port 0 and
 * records every request it receives (method, url, headers, raw body) so tests can check what
 * left the Optimizer. Its signatures are NOT real CMS: a DER SEQUENCE wrapping the digest.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildPdf } from './pdf-build.js';

export interface RecordedRequest {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

interface Rao { password: string; pin: string; id: number; ra: number }
interface Req {
  pk: number; status: string; ra: number; fields: Record<string, unknown>; otp: string | null; otpAt: number; otpUsed: boolean;
}

export interface FakeTsc {
  url: string;
  apiKey: string;
  requests: RecordedRequest[];
  /** Last OTP sent per request pk. */
  otps: Map<number, string>;
  raos: Map<string, Rao>;
  state: Map<number, Req>;
  /** Make the next /sign calls fail with this TSC error. */
  failSign: { status: number; code: string; message: string } | null;
  /** Holds each /sign answer this long (concurrency tests). */
  signDelayMs: number;
  close(): Promise<void>;
}

export const FAKE_RAO = { username: '1125824', password: 'rao-pass', pin: '1234' };

export async function startFakeTsc(): Promise<FakeTsc> {
  const apiKey = 'fake-tsc-client-key';
  const raos = new Map<string, Rao>([[FAKE_RAO.username, { password: FAKE_RAO.password, pin: FAKE_RAO.pin, id: 12, ra: 139 }]]);
  const state = new Map<number, Req>();
  const otps = new Map<number, string>();
  const requests: RecordedRequest[] = [];
  let nextPk = 1000;
  const fake: FakeTsc = {
    url: '', apiKey, requests, otps, raos, state, failSign: null, signDelayMs: 0,
    close: () => new Promise((res) => server.close(() => res())),
  };

  const send = (res: ServerResponse, status: number, body: unknown) => {
    const b = Buffer.from(JSON.stringify(body));
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': b.length });
    res.end(b);
  };
  const fail = (res: ServerResponse, status: number, code: string, message: string, details?: unknown) =>
    send(res, status, { error: { code, message, ...(details !== undefined ? { details } : {}) } });

  const rao = (req: IncomingMessage, res: ServerResponse, need: { password?: boolean; pin?: boolean }): Rao | null => {
    const u = String(req.headers['x-rao-username'] ?? '');
    const r = raos.get(u);
    if (!r) return fail(res, 404, 'RAO_ERR_NOT_FOUND', "Error getting RAO's id. Make sure the credentials are correct."), null;
    const pw = req.headers['x-rao-password'];
    const pin = req.headers['x-rao-pin'];
    if ((need.password && !pw) || (need.pin && !pin)) return fail(res, 400, 'RAO_ERR_INCOMPLETE_CREDENTIALS', "Missing required parameters: incomplete RAO's credentials"), null;
    if ((pw !== undefined && pw !== r.password) || (pin !== undefined && pin !== r.pin)) return fail(res, 403, 'RAO_ERR_INVALID_CREDENTIALS', 'Invalid RAO Credentials'), null;
    return r;
  };

  const view = (q: Req) => ({
    pk: q.pk, status: q.status, ...q.fields, registration_authority: q.ra, scratchcard: String(5000000 + q.pk), validity_time: '1',
    paperless_mode: true, videoid_mode: false, secure_element: 2, certificate_set: [], registering_user: null, approving_user: null,
    approving_rao: null, country_name: q.fields.id_document_country ?? 'ES',
  });

  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const url = req.url ?? '';
    requests.push({ method: req.method ?? '', url, headers: { ...req.headers }, body });
    if (req.headers.authorization !== `Bearer ${apiKey}`) return fail(res, 401, 'API_ERR_UNAUTHORIZED', 'Unauthorized');
    let json: Record<string, unknown> = {};
    if (body.length) {
      try {
        json = JSON.parse(body.toString('utf8'));
      } catch {
        return fail(res, 400, 'API_ERR_INVALID_JSON', 'Invalid JSON');
      }
    }
    const m = url.match(/^\/tsc\/v1\/requests\/(\d+)(\/[a-z-]+)?$/);
    const q = m ? state.get(Number(m[1])) : undefined;
    if (m && !q) return fail(res, 404, 'REQ_ERR_NOT_FOUND', `Request ${m[1]} not found`);
    const route = `${req.method} ${m ? `/requests/:pk${m[2] ?? ''}` : url.split('?')[0]}`;
    switch (route) {
      case 'POST /tsc/v1/rao/verify': {
        const r = rao(req, res, {});
        if (!r) return;
        return send(res, 200, { rao_id: r.id, username: req.headers['x-rao-username'], registration_authority: r.ra, password_checked: !!req.headers['x-rao-password'], pin_checked: !!req.headers['x-rao-pin'] });
      }
      case 'POST /tsc/v1/requests': {
        const r = rao(req, res, { password: true, pin: json.approve === true });
        if (!r) return;
        if (!/^\+\d{6,15}$/.test(String(json.mobile_phone_number ?? ''))) {
          return fail(res, 400, 'REQ_ERR_INVALID_FIELD', 'Please use the mobile phone number with an international prefix', { mobile_phone_number: ['Please use the mobile phone number with an international prefix'] });
        }
        if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(String(json.email ?? ''))) return fail(res, 400, 'REQ_ERR_INVALID_FIELD', 'Enter a valid email address', { email: ['Enter a valid email address'] });
        const pk = nextPk++;
        const { approve, ...fields } = json;
        const q2: Req = { pk, status: approve ? 'ENROLLREADY' : 'CREATED', ra: Number(json.registration_authority ?? r.ra), fields, otp: null, otpAt: 0, otpUsed: false };
        state.set(pk, q2);
        return send(res, 201, view(q2));
      }
      case 'GET /requests/:pk':
        if (!rao(req, res, { password: true })) return;
        return send(res, 200, view(q!));
      case 'PUT /requests/:pk':
        if (!rao(req, res, { password: true })) return;
        if (q!.status === 'ISSUED' || q!.status === 'CANCELLED') return fail(res, 412, 'REQ_ERR_ILLEGAL_TRANSITION', `Invalid request status: ${q!.status} -> ${q!.status}`);
        Object.assign(q!.fields, json);
        return send(res, 200, view(q!));
      case 'POST /requests/:pk/cancel':
        if (!rao(req, res, { password: true })) return;
        if (q!.status === 'ISSUED') return fail(res, 412, 'REQ_ERR_ILLEGAL_TRANSITION', 'Invalid request status: ISSUED -> CANCELLED');
        q!.status = 'CANCELLED';
        return send(res, 200, view(q!));
      case 'POST /requests/:pk/otp': {
        if (q!.status !== 'ENROLLREADY') return fail(res, 412, 'OTP_ERR_INVALID_STATUS', 'Invalid request status');
        if (Date.now() - q!.otpAt < 60_000) return fail(res, 412, 'OTP_ERR_THROTTLED', 'Otp generated less than a minute ago');
        q!.otp = String(Math.floor(Math.random() * 1e6)).padStart(6, '0');
        q!.otpAt = Date.now();
        q!.otpUsed = false;
        otps.set(q!.pk, q!.otp);
        return send(res, 200, { sent: true, channel: json.delivery_method ?? 'sms', expires_at: new Date(Date.now() + 300_000).toISOString() });
      }
      case 'GET /requests/:pk/contract': {
        const pdf = buildPdf({ pages: 1 });
        res.writeHead(200, { 'content-type': 'application/pdf', 'content-length': pdf.length });
        return res.end(pdf);
      }
      case 'GET /tsc/v1/signing-info':
        return send(res, 200, { key_algorithm: 'EC-P256', cms_max_bytes: 9000, chain: [] });
      case 'POST /requests/:pk/sign': {
        if (fake.signDelayMs) await new Promise((r) => setTimeout(r, fake.signDelayMs));
        if (q!.status === 'ISSUED') return fail(res, 412, 'REQ_ERR_ALREADY_ISSUED', 'Request already in ISSUED status');
        if (fake.failSign) return fail(res, fake.failSign.status, fake.failSign.code, fake.failSign.message);
        if (!q!.otp || q!.otpUsed || json.secret !== q!.otp) return fail(res, 403, 'OTP_ERR_INVALID', 'Confirmation Code invalid');
        q!.otpUsed = true;
        q!.status = 'ISSUED';
        const digests = (json.digests as { id: string; digest: string }[]) ?? [];
        const signatures = digests.map((d) => {
          const dg = Buffer.from(d.digest, 'base64');
          return { id: d.id, cms: Buffer.concat([Buffer.from([0x30, dg.length + 2, 0x04, dg.length]), dg]).toString('base64') };
        });
        return send(res, 200, { certificate: '', chain: [], signatures, serial_number: '01', level: json.level });
      }
      default:
        return fail(res, 404, 'API_ERR_NOT_FOUND', `no route ${route}`);
    }
  });
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', () => res()));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return fake;
}
