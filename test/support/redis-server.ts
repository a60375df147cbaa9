/**
 * A private redis-server for one test file (Debian redis-server, no persistence, a free port),
 * so a test can SIGKILL it and start it again on the same port without touching anyone else's
 * Redis. `dump()` reads every key with its type and all its values (strings, hashes, lists,
 * sets, sorted sets, streams) for the "nothing sensitive in Redis" scans. Fails, never skips,
 * when redis-server is not installed.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from './service-process.js';

export interface RedisEntry {
  key: string;
  type: string;
  values: Buffer[];
}

export interface TestRedis {
  url: string;
  port: number;
  running(): boolean;
  kill(): Promise<void>;
  start(): Promise<void>;
  dump(): Promise<RedisEntry[]>;
  stop(): Promise<void>;
}

export async function startTestRedis(): Promise<TestRedis> {
  const which = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  if (which.error || which.status !== 0) throw new Error('redis-server is not installed: run scripts/setup-test-env.sh (apt redis-server)');
  const dir = await mkdtemp(join(tmpdir(), 'oneshot-redis-'));
  const port = await freePort();
  let proc: ChildProcess | null = null;
  let exited: Promise<void> = Promise.resolve();

  const ping = async (): Promise<boolean> => {
    const c = new Redis({ port, host: '127.0.0.1', lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 300 });
    c.on('error', () => {});
    try {
      await c.connect();
      return (await c.ping()) === 'PONG';
    } catch {
      return false;
    } finally {
      c.disconnect();
    }
  };

  const r: TestRedis = {
    url: `redis://127.0.0.1:${port}`,
    port,
    running: () => proc !== null,
    async start() {
      if (proc) return;
      proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
      const p = proc;
      exited = new Promise((res) => p.once('exit', () => res()));
      for (let i = 0; !(await ping()); i++) {
        if (i > 200) throw new Error('redis-server did not start');
        await new Promise((res) => setTimeout(res, 25));
      }
    },
    async kill() {
      if (!proc) return;
      proc.kill('SIGKILL');
      await exited;
      proc = null;
    },
    async dump() {
      const c = new Redis({ port, host: '127.0.0.1' });
      c.on('error', () => {});
      try {
        const out: RedisEntry[] = [];
        let cursor = '0';
        do {
          const [next, keys] = await c.scanBuffer(cursor, 'COUNT', '500');
          cursor = next.toString();
          for (const kb of keys) {
            const key = kb.toString('latin1');
            const type = await c.type(key);
            let values: Buffer[] = [];
            if (type === 'string') values = [(await c.getBuffer(key)) ?? Buffer.alloc(0)];
            else if (type === 'hash') values = await c.hgetallBuffer(key).then((h) => Object.entries(h).flatMap(([f, v]) => [Buffer.from(f, 'latin1'), v]));
            else if (type === 'list') values = await c.lrangeBuffer(key, 0, -1);
            else if (type === 'set') values = await c.smembersBuffer(key);
            else if (type === 'zset') values = await c.zrangeBuffer(key, '0', '-1', 'WITHSCORES');
            else if (type === 'stream') {
              const entries = (await c.xrangeBuffer(key, '-', '+')) as Array<[Buffer, Buffer[]]>;
              values = entries.flatMap(([id, fields]) => [id, ...fields]);
            }
            out.push({ key, type, values });
          }
        } while (cursor !== '0');
        return out;
      } finally {
        c.disconnect();
      }
    },
    async stop() {
      await r.kill();
      await rm(dir, { recursive: true, force: true });
    },
  };
  await r.start();
  return r;
}
