/**
 * Enforces the layering of ../shared/DESIGN.md §2 by scanning every import in src/.
 *  1. lib/** and shared/** import no server, driver or I/O module; lib/pdf and lib/cms do not
 *     import each other (lib/pades may import both). lib/keys may use the PKCS#11 binding,
 *     which is the whole point of Pkcs11KeyStore.
 *  2. <service>/domain/** imports only lib/, shared/ and its own domain (ports live there).
 *  3. <service>/http/** calls domain use cases, never adapters or infra.
 *  4. optimizer/** and tsc/** never import each other.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');
const SRC = join(ROOT, 'src');

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else if (name.endsWith('.ts')) out.push(p);
  }
  return out;
}

const IMPORT_RE = /(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|(?:^|[\s;])import\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/gm;

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(IMPORT_RE)) out.push(m[1] ?? m[2] ?? m[3]!);
  return out;
}

/** Resolves a relative import to a path under src/ ("lib/pdf/reader.ts"), or returns the bare module. */
function target(file: string, spec: string): { local: string | null; module: string | null } {
  if (spec.startsWith('.')) return { local: relative(SRC, resolve(dirname(file), spec)), module: null };
  return { local: null, module: spec.replace(/^node:/, '') };
}

const IO_MODULES = [
  'fs', 'fs/promises', 'net', 'http', 'https', 'http2', 'tls', 'dgram', 'child_process', 'cluster', 'worker_threads',
  'fastify', 'undici', 'ioredis', 'bullmq', 'pg', 'better-sqlite3', 'kysely', 'nodemailer', 'pino',
];
const isIo = (m: string) => IO_MODULES.includes(m) || m.startsWith('@fastify/') || m.startsWith('fs/');

const files = walk(SRC);

test('src/ has files to check', () => {
  assert.ok(files.length > 0);
});

test('DESIGN.md §2 layering rules hold for every import', () => {
  const violations: string[] = [];
  for (const file of files) {
    const rel = relative(SRC, file);
    const [top, sub] = rel.split('/');
    for (const spec of importsOf(file)) {
      const { local, module } = target(file, spec);
      const why = (rule: string) => violations.push(`${rel} imports ${spec}: ${rule}`);
      if (top === 'lib' || top === 'shared') {
        if (module && isIo(module)) why('rule 1 (lib/shared import no server, driver or I/O module)');
        if (module === 'pkcs11js' && !(top === 'lib' && sub === 'keys')) why('rule 1 (only lib/keys may use pkcs11js)');
        if (local && !local.startsWith('lib/') && !local.startsWith('shared/')) why('rule 1 (lib/shared import only lib/shared)');
        if (top === 'shared' && local?.startsWith('lib/')) why('rule 1 (shared is below lib)');
        if (local && sub === 'pdf' && local.startsWith('lib/cms')) why('rule 1 (lib/pdf must not import lib/cms)');
        if (local && sub === 'cms' && local.startsWith('lib/pdf')) why('rule 1 (lib/cms must not import lib/pdf)');
      }
      if ((top === 'optimizer' || top === 'tsc')) {
        const other = top === 'optimizer' ? 'tsc/' : 'optimizer/';
        if (local?.startsWith(other)) why('rule 4 (optimizer and tsc talk over HTTP only)');
        if (sub === 'domain') {
          if (module && (isIo(module) || module === 'pkcs11js')) why('rule 2 (domain imports no framework or driver)');
          if (local && !local.startsWith('lib/') && !local.startsWith('shared/') && !local.startsWith(`${top}/domain/`))
            why('rule 2 (domain imports only lib/, shared/ and its own domain)');
        }
        if (sub === 'http') {
          if (local && (local.startsWith(`${top}/adapters/`) || local.startsWith('infra/')))
            why('rule 3 (http never imports adapters)');
          if (module && ['ioredis', 'bullmq', 'pg', 'better-sqlite3', 'kysely', 'nodemailer'].includes(module))
            why('rule 3 (http never touches drivers)');
        }
      }
    }
  }
  assert.deepEqual(violations, []);
});
