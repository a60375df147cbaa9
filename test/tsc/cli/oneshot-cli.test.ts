/**
 * The `oneshot` command as a user runs it (bin/oneshot.mjs in a child process): `tsc` starts and
 * serves, prints the sandbox RAO once and stops on SIGTERM; `tsc-admin` manages RAOs, revokes, and
 * verifies the audit chain, reporting the first broken entry after an entry is altered in the DB.
 */
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { fileMode } from '../../../src/infra/secret-file.js';
import { run } from '../../support/openssl.js';

const BIN = resolve(import.meta.dirname, '../../../bin/oneshot.mjs');

describe('oneshot CLI', () => {
  let dir: string;
  const env = () => ({ ...process.env, ONESHOT_DATA_DIR: dir, TSC_SCRYPT_LOG_N: '10', TSC_PORT: '0', TSC_LOG_LEVEL: 'warn' });
  const cli = (...args: string[]) => run(process.execPath, [BIN, ...args], { env: env() });

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tsc-cli-'));
  });
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('oneshot tsc: listens, serves /health and the CA, prints the sandbox RAO once, stops on SIGTERM', async () => {
    const startOnce = async () => {
      const child = spawn(process.execPath, [BIN, 'tsc'], { env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      const url = await new Promise<string>((res, rej) => {
        const timer = setTimeout(() => rej(new Error(`no start line in: ${out}`)), 60_000);
        child.stdout.on('data', (c) => {
          out += String(c);
          const m = /TSC listening on (http:\/\/[^\s]+)/.exec(out);
          if (m) {
            clearTimeout(timer);
            res(m[1]!);
          }
        });
        child.on('exit', (code) => rej(new Error(`exited ${code}: ${out}`)));
      });
      const health = (await fetch(`${url}/health`).then((r) => r.json())) as { status: string };
      const root = await fetch(`${url}/pki/root.pem`).then((r) => r.text());
      const code = await new Promise<number | null>((res) => {
        child.on('exit', (c) => res(c));
        child.kill('SIGTERM');
      });
      return { out, health, root, code };
    };
    const first = await startOnce();
    assert.equal(first.health.status, 'ok');
    assert.match(first.root, /BEGIN CERTIFICATE/);
    assert.equal(first.code, 0);
    assert.match(first.out, /Sandbox RAO created: username=sandbox registration_authority=1000; password and PIN in \S+sandbox-rao\.json \(mode 0600\)/);
    const creds = JSON.parse(await readFile(join(dir, 'tsc', 'sandbox-rao.json'), 'utf8'));
    assert.equal(fileMode(join(dir, 'tsc', 'sandbox-rao.json')), 0o600);
    assert.ok(!first.out.includes(creds.password) && !first.out.includes(creds.pin), 'credentials never on the console (it is a log)');
    assert.match(creds.pin, /^\d{8}$/);
    const second = await startOnce();
    assert.doesNotMatch(second.out, /Sandbox RAO created/);
    assert.equal(second.root, first.root);
  });

  test('tsc-admin rao add/list/remove', async () => {
    const add = await cli('tsc-admin', 'rao', 'add', 'ana', '--ra', '77', '--password', 'ana-password-1', '--pin', '1234');
    assert.equal(add.code, 0, add.stderr);
    assert.match(add.stdout, /RAO created: id=\d+ username=ana registration_authority=77/);
    assert.doesNotMatch(add.stdout, /ana-password-1/);
    const gen = await cli('tsc-admin', 'rao', 'add', 'bob', '--ra', '77');
    assert.match(gen.stdout, /password=\S{20,}\npin=\d{8}/);
    const dup = await cli('tsc-admin', 'rao', 'add', 'ana', '--ra', '77');
    assert.equal(dup.code, 1);
    assert.match(dup.stderr, /already exists/);
    const list = await cli('tsc-admin', 'rao', 'list');
    assert.match(list.stdout, /\tana\tRA 77\t/);
    assert.match(list.stdout, /\tbob\tRA 77\t/);
    assert.doesNotMatch(list.stdout, /scrypt/);
    assert.equal((await cli('tsc-admin', 'rao', 'remove', 'bob')).code, 0);
    assert.doesNotMatch((await cli('tsc-admin', 'rao', 'list')).stdout, /\tbob\t/);
    assert.equal((await cli('tsc-admin', 'rao', 'remove', 'bob')).code, 1);
    const usage = await cli('tsc-admin', 'rao', 'add', 'carl');
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /--ra/);
  });

  test('tsc-admin audit verify: OK, then reports the first broken entry after tampering', async () => {
    const ok = await cli('tsc-admin', 'audit', 'verify');
    assert.equal(ok.code, 0, ok.stderr);
    const n = Number(/OK: (\d+) entries/.exec(ok.stdout)![1]);
    assert.ok(n >= 4);
    // Someone with write access to the database file rewrites history.
    const db = new Database(join(dir, 'tsc', 'tsc.db'));
    db.exec('drop trigger tsc_audit_no_update');
    db.prepare("update tsc_audit set actor = 'tampered' where seq = 3").run();
    db.close();
    const broken = await cli('tsc-admin', 'audit', 'verify');
    assert.equal(broken.code, 1);
    assert.match(broken.stdout, /audit chain BROKEN: first broken entry 3 \(content does not match its hash\)/);
  });

  test('unknown command and sub-command: usage, exit 2', async () => {
    const a = await cli('frobnicate');
    assert.equal(a.code, 2);
    assert.match(a.stderr, /unknown command/);
    const b = await cli('tsc-admin', 'rao', 'explode');
    assert.equal(b.code, 2);
    const h = await cli('tsc-admin', '--help');
    assert.equal(h.code, 0);
    assert.match(h.stdout, /audit verify/);
  });
});
