/**
 * The hosted identification page in a real browser (issue 7): Debian's Chromium driven by
 * playwright-core at a phone viewport, with the fake camera and microphone. It accepts the terms,
 * types the identity, takes the ID front, back and selfie stills, records a short video with
 * MediaRecorder and uploads each with progress; the request reaches VIDEOREVIEW with the evidence
 * stored and checked. A screenshot of every step is kept under test-artifacts/videoid/.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { loadOptimizerConfig } from '../../src/optimizer/config.js';
import { startOptimizer, type RunningOptimizer } from '../../src/optimizer/app.js';
import { launchChromium, type Browser } from '../support/chromium.js';
import { startRealTsc, type RealTsc } from '../support/optimizer-tsc.js';

const ARTIFACTS = resolve(import.meta.dirname, '../../test-artifacts/videoid');

let tsc: RealTsc;
let opt: RunningOptimizer;
let dir: string;
let browser: Browser;

before(async () => {
  tsc = await startRealTsc();
  dir = await mkdtemp(join(tmpdir(), 'oneshot-videoid-e2e-'));
  opt = await startOptimizer(loadOptimizerConfig({
    ONESHOT_DATA_DIR: dir, OPTIMIZER_HOST: '127.0.0.1', OPTIMIZER_PORT: '0', TSC_URL: tsc.url, TSC_CLIENT_API_KEY: tsc.apiKey,
    OPTIMIZER_LOG_LEVEL: 'silent',
  }));
  browser = await launchChromium({ phone: true });
  await mkdir(ARTIFACTS, { recursive: true });
});
after(async () => {
  await browser?.close();
  await opt?.close();
  await tsc?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function api(method: string, path: string, body?: unknown): Promise<any> {
  const r = await fetch(`${opt.url}${path}`, {
    method, headers: body ? { 'content-type': 'application/json' } : {}, body: body ? JSON.stringify(body) : undefined,
  });
  const json = (await r.json()) as { details?: unknown };
  assert.ok(r.ok, `${method} ${path}: ${r.status} ${JSON.stringify(json)}`);
  return json.details as any;
}

const shots: string[] = [];
async function shot(page: Page, name: string): Promise<void> {
  const p = join(ARTIFACTS, `${String(shots.length + 1).padStart(2, '0')}-${name}.png`);
  await page.screenshot({ path: p, fullPage: true });
  shots.push(p);
}

// Page functions reach the DOM through `globalThis as any` (no DOM types in this project) and are
// functions, not strings: the page's CSP forbids eval.
const state = (page: Page, s: string) => page.waitForSelector(`#app[data-state="${s}"]`, { timeout: 30_000 });

test('Chromium (phone, fake camera) completes the hosted page; the request reaches VIDEOREVIEW with checked evidence', { timeout: 240_000 }, async () => {
  const token = await api('POST', '/api/v1/token', { ...tsc.rao });
  const v = await api('POST', '/api/v1/videoid', { token, email: 'signer@example.com', mobile_phone_number: '+34600111222', profile: 'PFnubeQAFCiudadano' });
  assert.ok(v.videoid_link.startsWith(`${opt.url}/videoid/`), v.videoid_link);

  const page = await browser.context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  page.on('response', (r) => { if (r.status() >= 400 && !r.url().includes('/videoid/') ) problems.push(`${r.status()} ${r.url()}`); });
  await page.goto(v.videoid_link);

  // 1. Terms.
  await state(page, 'acceptance');
  assert.match(await page.textContent('#terms-text') ?? '', /verify your identity remotely/);
  assert.equal(await page.isDisabled('#accept-btn'), true);
  await shot(page, 'terms');
  await page.check('#accept-checkbox');
  await page.click('#accept-btn');

  // 2. Identity details.
  await state(page, 'identity');
  await page.fill('#given_name', 'Carmen');
  await page.fill('#surname_1', 'Ortega');
  await page.fill('#surname_2', 'Vidal');
  await page.selectOption('#id_document_type', 'IDC');
  await page.fill('#id_document_country', 'ES');
  await page.fill('#serial_number', '44556677H');
  await shot(page, 'details');
  await page.click('#identity-btn');

  // 3-5. Stills from the fake camera: preview, photo, send (with progress).
  for (const item of ['document_front', 'document_rear', 'document_owner']) {
    await state(page, `${item}:ready`);
    await page.waitForFunction(() => (globalThis as any).document.getElementById('preview').videoWidth > 0);
    await shot(page, `${item}-camera`);
    await page.click('#capture-btn');
    await state(page, `${item}:review`);
    await shot(page, `${item}-photo`);
    await page.click('#use-btn');
    await page.waitForFunction((it) => !(globalThis as any).document.getElementById('app').getAttribute('data-state').startsWith(it), item);
  }

  // 6. The video: record a few seconds, review, send.
  await state(page, 'video:ready');
  await shot(page, 'video-camera');
  await page.click('#record-btn');
  await state(page, 'video:recording');
  await page.waitForFunction(() => Number((globalThis as any).document.getElementById('rec-time').textContent) >= 4, undefined, { timeout: 20_000 });
  await shot(page, 'video-recording');
  await page.click('#stop-btn');
  await state(page, 'video:review');
  await shot(page, 'video-review');
  await page.click('#use-btn');
  await state(page, 'done');
  assert.equal(await page.getAttribute('#progress', 'value'), '100');
  assert.ok(Number(await page.getAttribute('#upload', 'data-progress-events')) >= 1, 'XHR upload progress events fired');
  await shot(page, 'done');

  // Phone layout: nothing wider than the viewport.
  const overflow = await page.evaluate(() => (globalThis as any).document.documentElement.scrollWidth - (globalThis as any).innerWidth);
  assert.ok(overflow <= 0, `horizontal overflow of ${overflow}px`);
  assert.deepEqual(problems, []);

  // Server side: VIDEOREVIEW at the TSC, every item stored and checked, the declared identity pushed.
  assert.equal(await tsc.status(v.request_pk), 'VIDEOREVIEW');
  const sum = await api('GET', `/api/v1/videoid/${v.request_pk}/evidences`);
  assert.deepEqual(sum.missing, []);
  assert.equal(sum.failure, null);
  for (const item of ['document_front', 'document_rear', 'document_owner']) assert.equal(sum.items[item].mime, 'image/jpeg', item);
  assert.match(sum.items.video.mime, /^video\/(webm|mp4)$/);
  assert.ok(sum.items.video.size > 10_000, `video of ${sum.items.video.size} bytes`);
  assert.match(sum.acceptance['user-agent'], /Chrome/);
  assert.equal(sum.identity.serial_number, '44556677H');
  const req = await api('GET', `/api/v1/request/${v.request_pk}`);
  assert.equal(req.given_name, 'Carmen');
  const video = await fetch(`${opt.url}/api/v1/videoid/${v.request_pk}/download/video`);
  assert.equal(video.status, 200);
  assert.equal(Number(video.headers.get('content-length')), sum.items.video.size);

  // The used link shows the error state in the browser.
  await page.goto(v.videoid_link);
  await page.waitForSelector('#error:not([hidden])');
  assert.match(await page.textContent('#error') ?? '', /already been used/);
  await shot(page, 'link-used');

  console.log(`VideoID screenshots (${shots.length}) in ${ARTIFACTS}:\n${shots.map((s) => `  ${s}`).join('\n')}`);
});
