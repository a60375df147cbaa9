#!/usr/bin/env node
// Container health check (Dockerfile HEALTHCHECK, docker-compose.yml): `node healthcheck.mjs optimizer|tsc`.
// Exit 0 when the service answers its liveness route on its own port within 2 s, else 1. The tests
// run it against services started outside containers (test/optimizer/scale/deployment.test.ts).
const which = process.argv[2];
const port = which === 'tsc' ? process.env.TSC_PORT || '8090' : process.env.OPTIMIZER_PORT || '8080';
const path = which === 'tsc' ? '/health' : '/api/v1/hello';
const headers = which !== 'tsc' && process.env.OPTIMIZER_API_KEY ? { 'x-api-key': process.env.OPTIMIZER_API_KEY } : {};
try {
  const r = await fetch(`http://127.0.0.1:${port}${path}`, { headers, signal: AbortSignal.timeout(2000) });
  process.exit(r.ok ? 0 : 1);
} catch {
  process.exit(1);
}
