/**
 * `oneshot demo` (`npm run demo`): a whole classic flow against a running One-Shot (`npm start`),
 * through the public Gen B API only, on the bundled sample PDF with a visible signature:
 * token → request → upload → image → contract → OTP (read from the sandbox outbox) → sign →
 * download. Writes the signed PDF, the signed contract, the root CA and a script that verifies
 * them with poppler's pdfsig (root trusted in a throwaway NSS database).
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { CliCommand } from './commands.js';
import { flag, parseArgs } from './args.js';

const ASSETS = new URL('../../assets/demo/', import.meta.url);

interface Envelope {
  status: string;
  details: unknown;
}

async function call(base: string, method: string, path: string, body?: unknown, form?: FormData): Promise<Envelope> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: body !== undefined ? { 'content-type': 'application/json', ...apiKeyHeader() } : apiKeyHeader(),
    body: form ?? (body !== undefined ? JSON.stringify(body) : undefined),
  });
  const json = (await res.json()) as Envelope;
  if (!res.ok) throw new Error(`${method} ${path} → ${res.status} ${JSON.stringify(json.details)}`);
  return json;
}

function apiKeyHeader(): Record<string, string> {
  return process.env.OPTIMIZER_API_KEY ? { 'x-api-key': process.env.OPTIMIZER_API_KEY } : {};
}

async function download(base: string, path: string): Promise<Buffer> {
  const res = await fetch(`${base}${path}`, { headers: apiKeyHeader() });
  if (!res.ok) throw new Error(`GET ${path} → ${res.status} ${await res.text()}`);
  return Buffer.from(await res.arrayBuffer());
}

/** The newest OTP the sandbox outbox holds for `pk` (sandbox only: the TSC appends each code there). */
async function otpFromOutbox(outbox: string, pk: number, timeoutMs = 10_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (existsSync(outbox)) {
      const lines = readFileSync(outbox, 'utf8').trim().split('\n').reverse();
      for (const line of lines) {
        const entry = JSON.parse(line) as { request_pk: number; code: string };
        if (entry.request_pk === pk) return entry.code;
      }
    }
    if (Date.now() > deadline) throw new Error(`no OTP for request ${pk} in ${outbox} (is the server in the sandbox environment with the outbox sender?)`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const VERIFY_SCRIPT = `#!/usr/bin/env bash
# Verifies the demo's signed PDFs with poppler's pdfsig, trusting only the One-Shot root CA.
# Needs poppler-utils and libnss3-tools (apt-get install poppler-utils libnss3-tools).
set -euo pipefail
cd "$(dirname "$0")"
db=$(mktemp -d)
trap 'rm -rf "$db"' EXIT
certutil -N -d "sql:$db" --empty-password
certutil -A -d "sql:$db" -n oneshot-root -t "CT,C,C" -i root.pem
for f in signed.pdf contract-signed.pdf; do
  echo "== $f"
  pdfsig -nssdir "sql:$db" "$f"
done
`;

export const demoCommand: CliCommand = {
  summary: 'Run a whole classic signing flow against a running One-Shot (start it with `npm start`).',
  usage: [
    'Usage: oneshot demo [--url http://127.0.0.1:8080] [--out ./demo-output] [--outbox <path>]',
    '',
    'Uses the sandbox token listed by GET /api/v1/tokens, the bundled assets/demo/sample.pdf and',
    'assets/demo/signature.png, reads the OTP from the sandbox outbox (ONESHOT_OUTBOX, default',
    '<ONESHOT_DATA_DIR or ./data>/outbox.jsonl) and writes signed.pdf, contract-signed.pdf, root.pem and verify.sh.',
  ].join('\n'),
  async run(argv: string[]): Promise<number> {
    const args = parseArgs(argv);
    const base = `${(flag(args, 'url') ?? `http://127.0.0.1:${process.env.OPTIMIZER_PORT || 8080}`).replace(/\/+$/, '')}/api/v1`;
    const out = resolve(flag(args, 'out') ?? 'demo-output');
    const outbox = resolve(flag(args, 'outbox') ?? process.env.ONESHOT_OUTBOX ?? join(process.env.ONESHOT_DATA_DIR || 'data', 'outbox.jsonl'));
    const tscUrl = (process.env.TSC_URL || `http://127.0.0.1:${process.env.TSC_PORT || 8090}`).replace(/\/+$/, '');
    mkdirSync(out, { recursive: true });
    const step = (s: string) => console.log(`• ${s}`);

    const tokens = (await call(base, 'GET', '/tokens')).details as Record<string, unknown>;
    const token = Object.keys(tokens)[0];
    if (!token) throw new Error('no token on this Optimizer: create one with POST /api/v1/token');
    step(`token ${token}`);

    const pk = (await call(base, 'POST', '/request', {
      token,
      given_name: 'Ana', surname_1: 'García', surname_2: 'López',
      id_document_type: 'IDC', id_document_country: 'ES', serial_number: '12345678Z',
      email: 'ana.garcia@example.com', mobile_phone_number: '+34600123123',
      communication_language: 'EN',
    })).details as number;
    step(`request ${pk} created and approved (ENROLLREADY)`);

    const pdf = new FormData();
    pdf.append('file', new Blob([readFileSync(new URL('sample.pdf', ASSETS))], { type: 'application/pdf' }), 'sample.pdf');
    const uid = (await call(base, 'POST', `/document/${pk}`, undefined, pdf)).details as string;
    step(`uploaded sample.pdf as ${uid}`);

    const img = new FormData();
    img.append('image', new Blob([readFileSync(new URL('signature.png', ASSETS))], { type: 'image/png' }), 'signature.png');
    const imageUid = (await call(base, 'POST', '/image', undefined, img)).details as string;
    step(`uploaded the signature image as ${imageUid}`);

    writeFileSync(join(out, 'contract.pdf'), await download(base, `/document/${pk}/contract`));
    step('fetched the service contract (contract.pdf): show it to the signer before signing');

    await call(base, 'POST', `/otp/${pk}`, {});
    const secret = await otpFromOutbox(outbox, pk);
    step(`OTP sent; read it from the sandbox outbox ${outbox}`);

    const signed = await call(base, 'POST', `/sign/${pk}`, {
      secret,
      options: { [uid]: { image: imageUid, position: '60,120,330,195', page: 0 } },
      signature_format: {
        text_format: ['Signed by %(CN)s', '%(EMAIL)s', '%(DATE)s'],
        date_format: '%d/%m/%Y %H:%M:%S %z',
        timezone: 'Europe/Madrid',
      },
    });
    step(`signed: ${JSON.stringify(signed.details)}`);

    writeFileSync(join(out, 'signed.pdf'), await download(base, `/document/${pk}/signed/${uid}`));
    // After /sign the contract route serves the signed contract (it is not one of the request's documents).
    writeFileSync(join(out, 'contract-signed.pdf'), await download(base, `/document/${pk}/contract`));
    const root = await fetch(`${tscUrl}/pki/root.pem`);
    if (!root.ok) throw new Error(`GET ${tscUrl}/pki/root.pem → ${root.status}`);
    writeFileSync(join(out, 'root.pem'), await root.text());
    writeFileSync(join(out, 'verify.sh'), VERIFY_SCRIPT);
    chmodSync(join(out, 'verify.sh'), 0o755);
    console.log(`\nWrote ${join(out, 'signed.pdf')} and ${join(out, 'contract-signed.pdf')}.\nVerify them with:\n  bash ${join(out, 'verify.sh')}`);
    return 0;
  },
};
