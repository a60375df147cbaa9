/**
 * Deployment files (issue 6 §6): `docker-compose config` (Debian docker-compose; no engine needed)
 * accepts docker-compose.yml with the example env and refuses it when a secret is missing; the
 * Dockerfiles copy only files that exist and start the entrypoint scripts the other tests run;
 * every variable is documented in docs/deployment.md; and the containers' other commands run
 * outside containers: the health-check script against live services, the Redis command line of
 * the compose file, and nginx with the load-balancer config in front of an Optimizer.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { Redis } from 'ioredis';
import { freePort, REPO, startOptimizerProcess, startTscProcess } from '../../support/service-process.js';

const CLEAN_ENV = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp' };
const REQUIRED = [
  'POSTGRES_PASSWORD', 'TSC_CLIENT_API_KEY', 'TSC_ADMIN_API_KEY', 'PKCS11_PIN', 'PKCS11_SO_PIN', 'OPTIMIZER_API_KEY',
  'ONESHOT_MASTER_KEY', 'OPTIMIZER_WEBHOOK_SECRET',
];

function compose(envFile: string): { status: number | null; out: string; err: string } {
  // docker-compose (Debian package, scripts/setup-test-env.sh) must be installed: a missing tool fails.
  const r = spawnSync('docker-compose', ['-f', join(REPO, 'docker-compose.yml'), '--project-directory', REPO, '--env-file', envFile, 'config'], {
    cwd: REPO, env: CLEAN_ENV, encoding: 'utf8',
  });
  if (r.error) throw r.error;
  return { status: r.status, out: r.stdout, err: r.stderr };
}

function composeModel(): any {
  const r = compose(join(REPO, 'docker/compose.env.example'));
  assert.equal(r.status, 0, r.err);
  return parse(r.out);
}

test('docker-compose config accepts the file with the example env; every required secret has no default', async () => {
  const model = composeModel();
  assert.deepEqual(Object.keys(model.services).sort(), ['lb', 'optimizer', 'postgres', 'redis', 'tsc']);
  for (const [name, s] of Object.entries<any>(model.services)) {
    assert.ok(s.healthcheck?.test, `${name} has a health check`);
    assert.equal(s.restart, 'unless-stopped', name);
  }
  assert.deepEqual(Object.keys(model.volumes).sort(), ['optdata', 'pgdata', 'redisdata', 'tscdata']);
  const opt = model.services.optimizer.environment;
  assert.match(opt.DATABASE_URL, /^postgres:\/\/oneshot:[^@]+@postgres:5432\/oneshot$/);
  assert.equal(opt.REDIS_URL, 'redis://redis:6379');
  assert.equal(opt.TSC_URL, 'http://tsc:8090');
  assert.equal(opt.TSC_CLIENT_API_KEY, model.services.tsc.environment.TSC_CLIENT_API_KEY);
  assert.equal(model.services.tsc.environment.DATABASE_URL, opt.DATABASE_URL, 'both services on one PostgreSQL');
  assert.equal(model.services.tsc.environment.TSC_KEYSTORE, 'pkcs11');
  // docker-compose 1.x prints "source:target:mode" strings; the Compose v2 plugin prints objects.
  assert.deepEqual(model.services.optimizer.volumes.map((v: any) => (typeof v === 'string' ? v.split(':')[1] : v.target)), ['/var/lib/oneshot']);
  assert.deepEqual(model.services.optimizer.depends_on, {
    postgres: { condition: 'service_healthy' }, redis: { condition: 'service_healthy' }, tsc: { condition: 'service_healthy' },
  });
  assert.ok(!JSON.stringify(model).includes('${'), 'every variable substituted');

  const example = readFileSync(join(REPO, 'docker/compose.env.example'), 'utf8');
  const dir = await mkdtemp(join(tmpdir(), 'oneshot-compose-'));
  try {
    for (const name of REQUIRED) {
      const file = join(dir, `${name}.env`);
      await writeFile(file, example.split('\n').filter((l) => !l.startsWith(`${name}=`)).join('\n'));
      const r = compose(file);
      assert.notEqual(r.status, 0, `config must fail without ${name}`);
      assert.match(r.err, new RegExp(`set ${name} in \\.env`));
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('Dockerfiles copy files that exist, start the tested entrypoints and health check; .dockerignore keeps them', () => {
  const ignored = readFileSync(join(REPO, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  for (const [file, entry] of [['Dockerfile', 'optimizer-entrypoint.sh'], ['Dockerfile.tsc', 'tsc-entrypoint.sh']] as const) {
    const text = readFileSync(join(REPO, file), 'utf8');
    for (const m of text.matchAll(/^COPY (?!--from)(.+)$/gm)) {
      const parts = m[1]!.trim().split(/\s+/);
      for (const src of parts.slice(0, -1)) {
        assert.ok(existsSync(join(REPO, src)), `${file}: COPY source ${src} exists`);
        assert.ok(!ignored.includes(src.split('/')[0]!), `${file}: ${src} is not excluded by .dockerignore`);
      }
    }
    assert.match(text, new RegExp(`COPY docker/${entry} /usr/local/bin/${entry}`));
    assert.match(text, new RegExp(`ENTRYPOINT \\["/usr/local/bin/${entry}"\\]`));
    assert.match(text, /HEALTHCHECK .*docker\/healthcheck\.mjs/);
    assert.match(text, /^USER oneshot$/m);
    accessSync(join(REPO, 'docker', entry), constants.X_OK);
  }
  assert.match(readFileSync(join(REPO, 'Dockerfile.tsc'), 'utf8'), /apt-get install -y --no-install-recommends softhsm2/);
});

test('every variable of the compose file, the entrypoints and the async configuration is documented in docs/deployment.md', () => {
  const doc = readFileSync(join(REPO, 'docs/deployment.md'), 'utf8');
  const names = new Set<string>();
  const model = composeModel();
  for (const s of ['tsc', 'optimizer']) for (const k of Object.keys(model.services[s].environment)) names.add(k);
  const grab = (file: string, re: RegExp) => {
    for (const m of readFileSync(join(REPO, file), 'utf8').matchAll(re)) names.add(m[1]!);
  };
  for (const f of ['docker/tsc-entrypoint.sh', 'docker/optimizer-entrypoint.sh']) grab(f, /\$\{([A-Z][A-Z0-9_]{2,})/g);
  grab('docker/healthcheck.mjs', /process\.env\.([A-Z][A-Z0-9_]{2,})/g);
  grab('src/optimizer/async-config.ts', /env\.([A-Z][A-Z0-9_]{2,})/g);
  for (const m of readFileSync(join(REPO, 'src/optimizer/async-config.ts'), 'utf8').matchAll(/'([A-Z][A-Z0-9_]{2,})'/g)) names.add(m[1]!);
  for (const k of readFileSync(join(REPO, 'docker/compose.env.example'), 'utf8').matchAll(/^([A-Z][A-Z0-9_]+)=/gm)) names.add(k[1]!);
  const missing = [...names].filter((n) => !doc.includes(`\`${n}\``));
  assert.deepEqual(missing, []);
  assert.ok(names.has('REDIS_URL') && names.has('OPTIMIZER_WEBHOOK_SECRET') && names.has('PKCS11_SO_PIN'));
});

test('container commands outside containers: health checks, the compose Redis command, nginx as the load balancer', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'oneshot-deploy-'));
  const stops: Array<() => Promise<unknown>> = [];
  try {
    // Optimizer with an API key (as in compose) and a soft-key TSC, both from their entrypoints.
    const tscPort = await freePort();
    const tsc = await startTscProcess({
      ONESHOT_DATA_DIR: join(dir, 'tsc'), TSC_PORT: String(tscPort), TSC_SCRYPT_LOG_N: '10', TSC_LOG_LEVEL: 'warn',
    });
    stops.push(() => tsc.kill());
    const opt = await startOptimizerProcess({
      ONESHOT_DATA_DIR: join(dir, 'opt'), TSC_URL: tsc.url, OPTIMIZER_API_KEY: 'deploy-test-key', OPTIMIZER_LOG_LEVEL: 'warn',
    });
    stops.push(() => opt.kill());
    const optPort = new URL(opt.url).port;
    const health = (which: string, env: Record<string, string>) =>
      spawnSync('node', [join(REPO, 'docker/healthcheck.mjs'), which], { env: { ...CLEAN_ENV, ...env }, encoding: 'utf8' }).status;
    assert.equal(health('optimizer', { OPTIMIZER_PORT: optPort, OPTIMIZER_API_KEY: 'deploy-test-key' }), 0);
    assert.equal(health('optimizer', { OPTIMIZER_PORT: optPort }), 1, 'without the key the Optimizer answers 401');
    assert.equal(health('tsc', { TSC_PORT: String(tscPort) }), 0);
    assert.equal(health('tsc', { TSC_PORT: String(await freePort()) }), 1, 'nothing listening');

    // Redis with the compose command line (append-only file), on a free port and a temp dir.
    const model = composeModel();
    const [bin, ...args] = model.services.redis.command as string[];
    const redisPort = await freePort();
    await mkdir(join(dir, 'redis'));
    const redis = spawn(bin!, [...args, '--port', String(redisPort), '--bind', '127.0.0.1', '--dir', join(dir, 'redis')], { stdio: 'ignore' });
    stops.push(async () => { redis.kill('SIGKILL'); });
    const client = new Redis({ port: redisPort, host: '127.0.0.1', retryStrategy: () => 50 });
    client.on('error', () => {});
    try {
      assert.equal(await client.ping(), 'PONG');
      assert.deepEqual(await client.config('GET', 'appendonly'), ['appendonly', 'yes']);
      assert.deepEqual(await client.config('GET', 'maxmemory-policy'), ['maxmemory-policy', 'noeviction']);
    } finally {
      client.disconnect();
    }

    // nginx with docker/nginx.conf, the upstream name and port pointed at the local Optimizer.
    const lbPort = await freePort();
    const site = readFileSync(join(REPO, 'docker/nginx.conf'), 'utf8')
      .replace('listen 8080;', `listen 127.0.0.1:${lbPort};`)
      .replace('http://optimizer:8080', `http://127.0.0.1:${optPort}`);
    assert.notEqual(site, readFileSync(join(REPO, 'docker/nginx.conf'), 'utf8'));
    const ng = join(dir, 'nginx');
    await mkdir(ng);
    await writeFile(join(ng, 'site.conf'), site);
    await writeFile(join(ng, 'nginx.conf'), `user ${userInfo().username};\npid ${ng}/nginx.pid;\nerror_log ${ng}/error.log;\nevents {}\nhttp {\n  access_log off;\n` +
      ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `  ${t}_temp_path ${ng}/${t};\n`).join('') + `  include ${ng}/site.conf;\n}\n`);
    const check = spawnSync('nginx', ['-t', '-c', join(ng, 'nginx.conf'), '-p', ng], { encoding: 'utf8' });
    assert.equal(check.status, 0, check.stderr);
    const nginx = spawn('nginx', ['-c', join(ng, 'nginx.conf'), '-p', ng, '-g', 'daemon off;'], { stdio: 'ignore' });
    stops.push(async () => { nginx.kill('SIGTERM'); });
    let hello: Response | null = null;
    for (let i = 0; i < 200 && !hello; i++) {
      hello = await fetch(`http://127.0.0.1:${lbPort}/api/v1/hello`, { headers: { 'x-api-key': 'deploy-test-key' } }).catch(() => null);
      if (!hello) await new Promise((r) => setTimeout(r, 25));
    }
    assert.ok(hello, 'nginx answers');
    assert.equal(hello.status, 200);
    assert.deepEqual(await hello.json(), { status: '200 OK', details: 'Hello' });
    const docs = await fetch(`http://127.0.0.1:${lbPort}/docs/json`);
    assert.equal(docs.status, 200, 'the lb health check path');
  } finally {
    for (const s of stops.reverse()) await s().catch(() => {});
    await rm(dir, { recursive: true, force: true });
  }
});
