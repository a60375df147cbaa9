/**
 * Runs the openssl CLI as an independent oracle. Tests that call it FAIL when openssl is absent
 * (scripts/setup-test-env.sh installs it); they never skip.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  stdoutBytes: Buffer;
}

let checked = false;
export function requireTool(name: string): void {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'pipe' });
  } catch {
    throw new Error(`${name} is not installed; run scripts/setup-test-env.sh`);
  }
}

/** Runs a program; resolves with its exit code and output (never rejects on a non-zero exit). */
export function run(cmd: string, args: string[], opts: { input?: Uint8Array; cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(cmd, args, { cwd: opts.cwd, env: opts.env, encoding: 'buffer', maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      if (err && typeof (err as NodeJS.ErrnoException).code === 'string') return reject(err);
      resolve({
        code: err ? ((err as { code?: number }).code ?? 1) : 0,
        stdout: stdout.toString('latin1'),
        stderr: stderr.toString('utf8'),
        stdoutBytes: stdout,
      });
    });
    if (opts.input) child.stdin!.end(Buffer.from(opts.input));
    else child.stdin!.end();
  });
}

export async function openssl(args: string[], opts: { input?: Uint8Array; cwd?: string } = {}): Promise<RunResult> {
  if (!checked) {
    requireTool('openssl');
    checked = true;
  }
  return run('openssl', args, opts);
}

/** Like openssl() but throws with stderr when the exit code is not 0. */
export async function opensslOk(args: string[], opts: { input?: Uint8Array; cwd?: string } = {}): Promise<RunResult> {
  const r = await openssl(args, opts);
  if (r.code !== 0) throw new Error(`openssl ${args.join(' ')} failed (${r.code}): ${r.stderr}${r.stdout}`);
  return r;
}

export function toPem(der: Uint8Array, label: string): string {
  const b64 = Buffer.from(der).toString('base64').replace(/.{1,64}/g, '$&\n');
  return `-----BEGIN ${label}-----\n${b64}-----END ${label}-----\n`;
}

export function fromPem(pem: string): Uint8Array {
  const b64 = pem.replace(/-----(BEGIN|END)[^-]+-----/g, '').replace(/\s+/g, '');
  return new Uint8Array(Buffer.from(b64, 'base64'));
}

/** A fresh temp dir (fs.mkdtemp under os.tmpdir()) with helpers; call cleanup() in `after`. */
export async function tempDir(prefix = 'oneshot-test-'): Promise<{ dir: string; path: (n: string) => string; write: (n: string, data: string | Uint8Array) => Promise<string>; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return {
    dir,
    path: (n) => join(dir, n),
    write: async (n, data) => {
      const p = join(dir, n);
      await writeFile(p, data);
      return p;
    },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}
