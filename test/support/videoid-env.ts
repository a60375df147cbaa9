/**
 * The VideoID test bench: the REAL TSC (behind its recording proxy), an Optimizer on a fresh data
 * dir, a webhook receiver on loopback, the sandbox RAO's token, and helpers for the steps every
 * VideoID test repeats (evidence bodies, the classic sign steps to a signed PDF, the TSC audit).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { buildPdf } from './pdf-build.js';
import { startHarness, type Harness } from './optimizer-harness.js';
import { startRealTsc, type RealTsc } from './optimizer-tsc.js';
import { pdfChecker, type PdfChecker } from './signed-pdf-check.js';
import { fakeCameraVideos, jpeg } from './videoid-fixtures.js';
import { startWebhookReceiver, type WebhookHit, type WebhookReceiver } from './webhook-receiver.js';
import type { OptimizerDeps } from '../../src/optimizer/app.js';

export const WEBHOOK_SECRET = 'videoid-webhook-secret-0123456789';

export interface VideoIdEnv {
  tsc: RealTsc;
  h: Harness;
  recv: WebhookReceiver;
  token: string;
  checker: PdfChecker;
  media: { front: Buffer; rear: Buffer; photo: Buffer; selfie: Buffer; webm: Buffer; mp4: Buffer };
  close(): Promise<void>;
}

export async function startVideoIdEnv(opts: { env?: Record<string, string>; deps?: () => OptimizerDeps } = {}): Promise<VideoIdEnv> {
  // The browser-made media first: a missing Chromium then fails the hook before any server is
  // listening (a server left open would keep the test process alive instead of failing).
  const { webm, mp4 } = await fakeCameraVideos();
  const tsc = await startRealTsc();
  const started: { close(): Promise<unknown> }[] = [tsc];
  try {
    const recv = await startWebhookReceiver();
    started.push(recv);
    const h = await startHarness({
      tscUrl: tsc.url, tscKey: tsc.apiKey,
      env: {
        OPTIMIZER_WEBHOOK_SECRET: WEBHOOK_SECRET, OPTIMIZER_WEBHOOK_ALLOW_PRIVATE: '1', OPTIMIZER_WEBHOOK_BACKOFF_MS: '40',
        OPTIMIZER_JOB_POLL_MS: '50', ...opts.env,
      },
      ...(opts.deps ? { deps: opts.deps } : {}),
    });
    started.push(h);
    const tok = await h.call('POST', '/api/v1/token', { ...tsc.rao, env: 'sandbox' });
    assert.equal(tok.status, 200, JSON.stringify(tok.json));
    const checker = pdfChecker(await tsc.rootPem());
    return {
      tsc, h, recv, token: tok.json.details, checker,
      media: { front: jpeg(640, 400, 2), rear: jpeg(640, 400, 3), photo: jpeg(120, 160, 4), selfie: jpeg(480, 640, 5), webm, mp4 },
      async close() {
        checker.cleanup();
        await h.close();
        await recv.close();
        await tsc.close();
      },
    };
  } catch (err) {
    for (const s of started.reverse()) await s.close().catch(() => undefined);
    throw err;
  }
}

export const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

export const OCR = { given_name: 'Ana', surname_1: 'García', surname_2: 'Ruiz', serial_number: '12345678Z', id_document_type: 'IDC', id_document_country: 'ES' };
export const CHECKS = {
  otp_validation: true, documents_match: true, data_integrity: true, document_notcopy: true, document_notexpired: true,
  document_notunderage: true, liveliness: true,
};

/** The Gen B UploadData_VID sample shape with real images. */
export function evidencesBody(env: VideoIdEnv, over: { checks?: Record<string, boolean>; similarity?: unknown; ocr?: Record<string, string> } = {}) {
  const b64 = (b: Buffer) => b.toString('base64');
  return {
    acceptance: {
      description: 'Terms and conditions accepted', 'url-doc-privacypolicy': 'https://example.com/privacy', ip: '203.0.113.7',
      'url-web-videoid': 'https://videoid.example.com', 'user-agent': 'Mozilla/5.0 (test)', date: 1712311111000,
      'url-doc-termsconditions': 'https://example.com/terms',
    },
    videoid_data: {
      images: { document_front: b64(env.media.front), document_rear: b64(env.media.rear), document_photo: b64(env.media.photo), document_owner: b64(env.media.selfie) },
      ocr_data: over.ocr ?? OCR,
      security_checks: over.checks ?? CHECKS,
      similarity_level: over.similarity ?? 'high',
    },
  };
}

export async function createVideoId(env: VideoIdEnv, prefix: string, body: Record<string, unknown>): Promise<{ videoid_pk: number; request_pk: number; videoid_link: string }> {
  const r = await env.h.call('POST', `${prefix}/videoid`, {
    token: env.token, email: 'ana.garcia@example.com', mobile_phone_number: '+34600111222', profile: 'PFnubeNC', ...body,
  });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  return r.json.details;
}

export function uploadVideo(env: VideoIdEnv, url: string, data: Buffer, type = 'video/webm') {
  return env.h.upload(url, [{ name: 'video', filename: type === 'video/mp4' ? 'v.mp4' : 'v.webm', type, data }]);
}

/** Classic steps after approval: upload a PDF, OTP, sign, download and check the signed PDF. */
export async function signToPdf(env: VideoIdEnv, prefix: string, pk: number, name: string): Promise<Buffer> {
  const gen = prefix === '/api/v1' ? 'B' : 'C';
  const up = await env.h.upload(`${prefix}/document/${pk}`, [{ name: 'file', filename: 'contract.pdf', type: 'application/pdf', data: buildPdf() }]);
  assert.equal(up.status, 200, JSON.stringify(up.json));
  const uid = gen === 'B' ? up.json.details : up.json.details.uid;
  assert.equal((await env.h.call('POST', `${prefix}/otp/${pk}`)).status, 200);
  const sign = await env.h.call('POST', `${prefix}/sign/${pk}`, { secret: await env.tsc.lastOtp(pk) });
  assert.equal(sign.status, 200, JSON.stringify(sign.json));
  const pdf = await env.h.call('GET', gen === 'B' ? `${prefix}/document/${pk}/signed/${uid}` : `${prefix}/document/${pk}/${uid}?document_type=signed`);
  assert.equal(pdf.status, 200);
  env.checker.check(pdf.body, name);
  return pdf.body;
}

/** The TSC's audit entries of one request. */
export async function auditOf(env: VideoIdEnv, pk: number) {
  const head = await env.tsc.app.tsc.deps.store.audit.head();
  return (await env.tsc.app.tsc.deps.store.audit.list(1, head.seq + 1)).filter((e) => e.requestPk === pk);
}

/** Webhooks of one request received on `path` (2xx), in arrival order. */
export const hooksOf = (env: VideoIdEnv, path: string, pk: number) => (hits: WebhookHit[] = env.recv.hits) =>
  hits.filter((x) => x.path === path && x.answered === 200 && (x.json?.request === pk || x.json?.request?.pk === pk));

/** Status the TSC holds, and that the Optimizer mirrors. */
export async function statusOf(env: VideoIdEnv, pk: number): Promise<string> {
  const s = await env.tsc.status(pk);
  const local = await env.h.opt.ctx.requests.get(pk);
  assert.equal(local?.status, s, `Optimizer mirror of ${pk}`);
  return s;
}
