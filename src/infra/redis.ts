/**
 * One Redis connection (REDIS_URL) shared by the cache, the locks and the readiness checks, set
 * to fail fast (ecosystem-notes §4): with ioredis' defaults a command waits in the offline queue
 * for as long as Redis is down, so every request would hang. Here a command issued while Redis
 * is down rejects at once (no offline queue, no per-request retries), a connect or a command
 * gives up after a short timeout, and the client reconnects by itself in the background.
 * Callers check `ready()` first and fall back to their local implementation.
 */
import { Redis, type RedisOptions } from 'ioredis';

export interface RedisHandle {
  client: Redis;
  url: string;
  /** True while the connection is up (a command has a chance to succeed). */
  ready(): boolean;
  /** Connection options for other clients of the same server (BullMQ makes its own). */
  options(): RedisOptions;
  close(): Promise<void>;
}

export interface RedisConnectOptions {
  /** ms to establish a connection (default 500). */
  connectTimeoutMs?: number;
  /** ms before a sent command is failed (default 1000): a hung server must not hold requests. */
  commandTimeoutMs?: number;
  /** Delay between reconnection attempts (default 250 ms). */
  reconnectDelayMs?: number;
  /** Called on connection errors, rate-limited to one call per state change. */
  onStateChange?: (state: 'up' | 'down', detail?: string) => void;
}

/** Options of the fail-fast client for `url` (redis://[user:pass@]host:port[/db], rediss:// for TLS). */
export function redisOptions(url: string, o: RedisConnectOptions = {}): RedisOptions {
  const u = new URL(url);
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new Error('REDIS_URL must be redis://… or rediss://…');
  const db = u.pathname.replace(/^\//, '');
  const reconnect = o.reconnectDelayMs ?? 250;
  return {
    host: u.hostname || '127.0.0.1',
    port: Number(u.port || 6379),
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(db ? { db: Number(db) } : {}),
    ...(u.protocol === 'rediss:' ? { tls: { servername: u.hostname } } : {}),
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: o.connectTimeoutMs ?? 500,
    commandTimeout: o.commandTimeoutMs ?? 1000,
    retryStrategy: () => reconnect,
  };
}

export function connectRedis(url: string, o: RedisConnectOptions = {}): RedisHandle {
  const opts = redisOptions(url, o);
  const client = new Redis(opts);
  let up = false;
  // Without an 'error' listener ioredis would print every failed reconnection as unhandled.
  client.on('error', (e: Error) => {
    if (up) {
      up = false;
      o.onStateChange?.('down', e.message);
    }
  });
  client.on('ready', () => {
    if (!up) {
      up = true;
      o.onStateChange?.('up');
    }
  });
  client.on('end', () => {
    up = false;
  });
  client.on('close', () => {
    if (up) {
      up = false;
      o.onStateChange?.('down', 'connection closed');
    }
  });
  return {
    client,
    url,
    ready: () => client.status === 'ready',
    options: () => ({ ...opts }),
    async close() {
      try {
        await client.quit();
      } catch {
        client.disconnect();
      }
    },
  };
}
