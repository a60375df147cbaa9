/**
 * The README's configuration tables are the one place an operator looks: every environment
 * variable the product reads must be named there (in backticks). Names are collected from src/
 * the ways the code reads them: `env.NAME`, `env['NAME']`, helpers called as `(env, 'NAME'…`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const REPO = new URL('..', import.meta.url).pathname;
const walk = (d: string): string[] =>
  readdirSync(d).flatMap((n) => {
    const p = join(d, n);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.ts') ? [p] : [];
  });

test('every environment variable read in src/ is documented in the README', () => {
  const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
  const found = new Map<string, string>();
  const patterns = [/\benv\.([A-Z][A-Z0-9_]{2,})/g, /\benv\[['"]([A-Z][A-Z0-9_]{2,})['"]\]/g, /\(\s*env\s*,\s*['"]([A-Z][A-Z0-9_]{2,})['"]/g];
  for (const f of walk(join(REPO, 'src'))) {
    const src = readFileSync(f, 'utf8');
    for (const re of patterns) for (const m of src.matchAll(re)) found.set(m[1]!, f.slice(REPO.length));
  }
  // Positive control: the scan sees the variables every deployment sets.
  for (const n of ['OPTIMIZER_PORT', 'TSC_PORT', 'DATABASE_URL', 'REDIS_URL', 'OPTIMIZER_VIDEOID_PROXY_HOPS']) assert.ok(found.has(n), n);
  const missing = [...found].filter(([n]) => !readme.includes(`\`${n}\``)).map(([n, f]) => `${n} (${f})`);
  assert.deepEqual(missing, []);
});
