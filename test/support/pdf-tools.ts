/**
 * Runs the external tools the PDF tests use as producers and oracles. A missing tool is a
 * test FAILURE, never a skip (scripts/setup-test-env.sh installs them).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const found = new Map<string, string>();

/** Absolute path of a tool on PATH; throws (failing the test) when it is absent. */
export function requireTool(name: string): string {
  const hit = found.get(name);
  if (hit) return hit;
  const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  const path = r.stdout.trim();
  if (r.status !== 0 || !path) {
    throw new Error(`required tool "${name}" is not installed (run scripts/setup-test-env.sh)`);
  }
  found.set(name, path);
  return path;
}

/** True when a tool exists (for optional producers such as LibreOffice). */
export function hasTool(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`]).status === 0;
}

export interface RunResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs a tool without throwing on a non-zero exit (oracles inspect status and output). */
export function run(tool: string, args: string[], opts: { input?: Buffer; env?: NodeJS.ProcessEnv; cwd?: string } = {}): RunResult {
  const r = spawnSync(requireTool(tool), args, {
    input: opts.input,
    env: opts.env ?? process.env,
    cwd: opts.cwd,
    maxBuffer: 256 * 1024 * 1024,
    encoding: 'buffer',
  });
  if (r.error) throw r.error;
  return { status: r.status ?? -1, stdout: r.stdout.toString('utf8'), stderr: r.stderr.toString('utf8') };
}

/** Runs a tool and throws with its output if it fails. */
export function runOk(tool: string, args: string[], opts: { input?: Buffer; cwd?: string } = {}): string {
  try {
    return execFileSync(requireTool(tool), args, { input: opts.input, cwd: opts.cwd, maxBuffer: 256 * 1024 * 1024, stdio: ['pipe', 'pipe', 'pipe'] }).toString('utf8');
  } catch (e) {
    const err = e as { stdout?: Buffer; stderr?: Buffer; message: string };
    throw new Error(`${tool} ${args.join(' ')} failed: ${err.message}\n${err.stdout?.toString() ?? ''}${err.stderr?.toString() ?? ''}`);
  }
}

const dirs: string[] = [];
let hooked = false;

/** A fresh temp dir under os.tmpdir(), removed when the process exits. */
export function freshTempDir(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), `oneshot-${prefix}-`));
  dirs.push(d);
  if (!hooked) {
    hooked = true;
    process.on('exit', () => {
      for (const x of dirs) rmSync(x, { recursive: true, force: true });
    });
  }
  return d;
}

/** Runs a tool and returns its raw stdout bytes (binary output); throws if it fails. */
export function runBytes(tool: string, args: string[]): Buffer {
  return execFileSync(requireTool(tool), args, { maxBuffer: 256 * 1024 * 1024, stdio: ['ignore', 'pipe', 'pipe'] });
}
