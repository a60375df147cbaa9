/**
 * Debian's Chromium driven by playwright-core (issue 7): headless, no sandbox (containers), fake
 * camera and microphone (`--use-fake-device-for-media-stream`) with the permission prompt
 * auto-accepted, a fresh user-data-dir per launch (removed on close). The binary must be there:
 * tests FAIL (not skip) without it — scripts/setup-test-env.sh installs the `chromium` package.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream',
];

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** A phone-sized context by default (390×844 CSS px, touch, mobile user agent of this Chromium). */
export async function launchChromium(opts: { phone?: boolean } = {}): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: run scripts/setup-test-env.sh (apt package chromium)`);
  const userDataDir = await mkdtemp(join(tmpdir(), 'oneshot-chromium-'));
  const phone = opts.phone ?? true;
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    // playwright passes the fresh profile dir as --user-data-dir itself.
    args: CHROMIUM_ARGS,
    ...(phone ? { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true } : {}),
  });
  return {
    context,
    async close() {
      await context.close().catch(() => {});
      await rm(userDataDir, { recursive: true, force: true });
    },
  };
}

/** getUserMedia needs a secure context: serves a blank page on loopback (http://127.0.0.1 counts as secure). */
async function blankOrigin(): Promise<{ url: string; server: Server }> {
  const server = createServer((_q, s) => {
    s.setHeader('content-type', 'text/html');
    s.end('<!doctype html><title>blank</title>');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, server };
}

/**
 * Records `ms` of the fake camera and microphone with MediaRecorder in each requested container
 * (`video/webm`, `video/mp4`): real encoder output, as the hosted page would upload it.
 */
export async function recordFakeCamera(types: string[], ms: number): Promise<Record<string, Buffer>> {
  const b = await launchChromium({ phone: false });
  const { url, server } = await blankOrigin();
  try {
    const page = await b.context.newPage();
    await page.goto(url);
    const out: Record<string, Buffer> = {};
    for (const type of types) {
      // Runs in the page (no DOM types in this project's tsconfig, hence `any`).
      const bytes = await page.evaluate(async ({ type, ms }) => {
        const g = globalThis as any;
        const s = await g.navigator.mediaDevices.getUserMedia({ video: { width: 320, height: 240 }, audio: true });
        if (!g.MediaRecorder.isTypeSupported(type)) throw new Error(`MediaRecorder cannot record ${type}`);
        const rec = new g.MediaRecorder(s, { mimeType: type });
        const chunks: unknown[] = [];
        rec.ondataavailable = (e: { data: unknown }) => chunks.push(e.data);
        const stopped = new Promise((r) => (rec.onstop = r));
        rec.start(200);
        await new Promise((r) => setTimeout(r, ms));
        rec.stop();
        await stopped;
        s.getTracks().forEach((t: { stop(): void }) => t.stop());
        return Array.from(new Uint8Array(await new g.Blob(chunks).arrayBuffer())) as number[];
      }, { type, ms });
      out[type] = Buffer.from(bytes);
    }
    return out;
  } finally {
    await b.close();
    // Chromium keeps an idle keep-alive connection: close it rather than wait for its timeout.
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
}
