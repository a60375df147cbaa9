/**
 * What a stranger does after `npm install`: `oneshot start` (npm start) brings up the TSC and the
 * Optimizer with embedded defaults and prints the URLs, the sandbox token and the OTP outbox;
 * `oneshot demo` (npm run demo) signs the bundled sample through the public API; the written
 * verify.sh proves the signatures with pdfsig (root trusted); a restart keeps every piece of state.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { run } from '../support/openssl.js';

const BIN = resolve(import.meta.dirname, '../../bin/oneshot.mjs');

async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
  });
}

interface Started {
  child: ChildProcess;
  out: string;
}

async function start(env: NodeJS.ProcessEnv): Promise<Started> {
  const child = spawn(process.execPath, [BIN, 'start'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  await new Promise<void>((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`no start banner in:\n${out}`)), 90_000);
    child.stdout!.on('data', (c) => {
      out += String(c);
      if (out.includes('Try it')) {
        clearTimeout(timer);
        res();
      }
    });
    child.stderr!.on('data', (c) => (out += String(c)));
    child.on('exit', (code) => rej(new Error(`start exited ${code}:\n${out}`)));
  });
  return { child, out };
}

async function stop(s: Started): Promise<number | null> {
  return new Promise((res) => {
    s.child.removeAllListeners('exit');
    s.child.on('exit', (c) => res(c));
    s.child.kill('SIGTERM');
  });
}

test('npm start + npm run demo: signed PDFs verify with pdfsig, and a restart keeps all state', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'oneshot-start-'));
  const [optPort, tscPort] = [await freePort(), await freePort()];
  const env = {
    ...process.env,
    ONESHOT_DATA_DIR: join(dir, 'data'),
    OPTIMIZER_PORT: String(optPort),
    TSC_PORT: String(tscPort),
    TSC_SCRYPT_LOG_N: '10',
    TSC_LOG_LEVEL: 'warn',
    OPTIMIZER_LOG_LEVEL: 'warn',
  };
  let s = await start(env);
  try {
    const opt = `http://127.0.0.1:${optPort}`;
    assert.match(s.out, new RegExp(`Optimizer API\\s+${opt}/api/v1`));
    assert.match(s.out, new RegExp(`Root CA\\s+http://127.0.0.1:${tscPort}/pki/root.pem`));
    const token = /Sandbox token\s+([0-9a-f]{32})/.exec(s.out)?.[1];
    assert.ok(token, s.out);
    assert.match(s.out, /OTP codes\s+appended to .*outbox\.jsonl/);
    const tokens = (await (await fetch(`${opt}/api/v1/tokens`)).json()) as { details: Record<string, unknown> };
    assert.deepEqual(Object.keys(tokens.details), [token]);

    const out = join(dir, 'demo');
    const demo = await run(process.execPath, [BIN, 'demo', '--url', opt, '--out', out], { env });
    assert.equal(demo.code, 0, demo.stdout + demo.stderr);
    assert.match(demo.stdout, /Documents correctly signed/);
    for (const f of ['signed.pdf', 'contract-signed.pdf', 'root.pem', 'verify.sh']) assert.ok(existsSync(join(out, f)), f);

    const verify = await run('bash', [join(out, 'verify.sh')], { env });
    assert.equal(verify.code, 0, verify.stderr);
    assert.equal(verify.stdout.match(/Signature is Valid\./g)?.length, 2, verify.stdout);
    assert.equal(verify.stdout.match(/Certificate is Trusted\./g)?.length, 2, verify.stdout);
    assert.match(verify.stdout, /Total document signed/);

    const pk = /request (\d+) created/.exec(demo.stdout)![1];
    const uid = /uploaded sample\.pdf as (\S+)/.exec(demo.stdout)![1];
    assert.equal(await stop(s), 0);

    s = await start(env);
    assert.doesNotMatch(s.out, /Sandbox RAO created/);
    assert.match(s.out, new RegExp(`Sandbox token\\s+${token}`));
    const req = (await (await fetch(`${opt}/api/v1/request/${pk}`)).json()) as { details: { status: string } };
    assert.equal(req.details.status, 'ISSUED');
    const signed = await fetch(`${opt}/api/v1/document/${pk}/signed/${uid}`);
    assert.equal(signed.status, 200);
    assert.equal(Buffer.from(await signed.arrayBuffer()).subarray(0, 5).toString(), '%PDF-');
  } finally {
    await stop(s);
    rmSync(dir, { recursive: true, force: true });
  }
});
