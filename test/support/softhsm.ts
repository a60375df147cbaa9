/**
 * A throwaway SoftHSM2 token for tests: its own config and token directory in a fresh temp dir.
 * SOFTHSM2_CONF is read by the library at C_Initialize, so call createSoftHsmToken() before
 * opening a Pkcs11KeyStore, and use one token per test process (node --test runs each file in
 * its own process). Fails, never skips, when softhsm2 is not installed.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { requireTool, run, tempDir } from './openssl.js';

export const SOFTHSM_MODULE = process.env.SOFTHSM2_MODULE ?? '/usr/lib/softhsm/libsofthsm2.so';

export interface SoftHsmToken {
  modulePath: string;
  tokenLabel: string;
  pin: string;
  soPin: string;
  confPath: string;
  cleanup(): Promise<void>;
}

export async function createSoftHsmToken(label = `qscd-${randomBytes(3).toString('hex')}`): Promise<SoftHsmToken> {
  requireTool('softhsm2-util');
  if (!existsSync(SOFTHSM_MODULE)) throw new Error(`${SOFTHSM_MODULE} is missing; run scripts/setup-test-env.sh (apt softhsm2)`);
  const t = await tempDir('oneshot-softhsm-');
  const tokenDir = t.path('tokens');
  await mkdir(tokenDir);
  const confPath = await t.write('softhsm2.conf', `directories.tokendir = ${tokenDir}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n`);
  const env = { ...process.env, SOFTHSM2_CONF: confPath };
  const pin = randomBytes(6).toString('hex');
  const soPin = randomBytes(6).toString('hex');
  const r = await run('softhsm2-util', ['--init-token', '--free', '--label', label, '--so-pin', soPin, '--pin', pin], { env });
  if (r.code !== 0) throw new Error(`softhsm2-util --init-token failed: ${r.stderr}${r.stdout}`);
  process.env.SOFTHSM2_CONF = confPath;
  return { modulePath: SOFTHSM_MODULE, tokenLabel: label, pin, soPin, confPath, cleanup: () => t.cleanup() };
}

