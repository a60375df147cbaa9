/**
 * Settings kept in <data>/optimizer/settings.json (the counterpart of the Gen B settings.ini,
 * oneshot-api.md §4.2). Written atomically (temp file + rename, mode 0600); environment
 * overrides (ONESHOT_ENV, OPTIMIZER_DEFAULT_PROFILE, …) are applied on every read and never
 * written back.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { SettingsOverrides } from '../config.js';
import type { Environment, Settings, SettingsStore } from '../domain/ports.js';
import { defaultSettings } from '../domain/settings.js';

type Tree = Record<string, unknown>;
const isObj = (v: unknown): v is Tree => !!v && typeof v === 'object' && !Array.isArray(v);

function merge(base: Tree, patch: Tree): Tree {
  const out: Tree = { ...base };
  for (const [k, v] of Object.entries(patch)) out[k] = isObj(v) && isObj(out[k]) ? merge(out[k] as Tree, v) : v;
  return out;
}

export class FileSettingsStore implements SettingsStore {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly path: string,
    private readonly env: { environment: Environment | null; overrides: SettingsOverrides },
  ) {}

  private async readFile(): Promise<Tree> {
    try {
      const j = JSON.parse(await readFile(this.path, 'utf8'));
      return isObj(j) ? j : {};
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw new Error(`cannot read ${this.path}: ${(e as Error).message}`);
    }
  }

  private effective(file: Tree): Settings {
    const s = merge(defaultSettings() as unknown as Tree, file) as unknown as Settings;
    const o = this.env.overrides;
    if (this.env.environment) s.general.environment = this.env.environment;
    if (o.default_profile) s.request.default_profile = o.default_profile;
    if (o.default_ra) s.request.default_ra = o.default_ra;
    if (o.tsa_url) s.tsa.tsa_url = o.tsa_url;
    if (o.level) s.signature.level = o.level;
    if (o.webhook_url) s.webhook.url = o.webhook_url;
    return s;
  }

  async read(): Promise<Settings> {
    return this.effective(await this.readFile());
  }

  update(patch: Record<string, unknown>): Promise<Settings> {
    // Serialise writers in this process; rename keeps readers from seeing a half-written file.
    const run = this.queue.then(async () => {
      const next = merge(await this.readFile(), patch);
      await mkdir(dirname(this.path), { recursive: true });
      const tmp = `${this.path}.tmp-${randomBytes(6).toString('hex')}`;
      await writeFile(tmp, JSON.stringify(next, null, 2) + '\n', { mode: 0o600 });
      await rename(tmp, this.path);
      return this.effective(next);
    });
    this.queue = run.catch(() => {});
    return run;
  }
}
