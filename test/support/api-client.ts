/**
 * Calls an Optimizer (or the round-robin proxy in front of several) over real HTTP with fetch,
 * in the harness's result shape, plus a whole classic flow helper for the scale/async tests.
 */
import { multipart, type Part, type Res } from './optimizer-harness.js';

export async function call(base: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Res> {
  const r = await fetch(base + path, {
    method,
    headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const buf = Buffer.from(await r.arrayBuffer());
  let json: any = null;
  if ((r.headers.get('content-type') ?? '').includes('json')) {
    try {
      json = JSON.parse(buf.toString('utf8'));
    } catch {
      json = null;
    }
  }
  return { status: r.status, json, body: buf, headers: Object.fromEntries(r.headers) };
}

export async function upload(base: string, path: string, parts: Part[], headers: Record<string, string> = {}): Promise<Res> {
  const { payload, contentType } = multipart(parts);
  const r = await fetch(base + path, { method: 'POST', headers: { 'content-type': contentType, ...headers }, body: payload });
  const buf = Buffer.from(await r.arrayBuffer());
  return { status: r.status, json: JSON.parse(buf.toString('utf8')), body: buf, headers: Object.fromEntries(r.headers) };
}

/** Polls GET /async/status/{pk} until it leaves "approved"/"signing"; returns the final text. */
export async function waitAsync(base: string, pk: number, pollMs = 50, headers: Record<string, string> = {}): Promise<string> {
  for (;;) {
    const r = await call(base, 'GET', `/api/v1/async/status/${pk}`, undefined, headers);
    const s = String(r.json?.details);
    if (r.status === 200 && s !== 'approved' && s !== 'signing') return s;
    await new Promise((res) => setTimeout(res, pollMs));
  }
}
