/**
 * `oneshot tsc-admin …`: administration of the TSC database directly (same DATABASE_URL /
 * ONESHOT_DATA_DIR as the service; works while it runs). Every change is audited as "admin-cli".
 *
 *   rao add <username> --ra <id> [--password <p>] [--pin <n>]   (generated and printed once if omitted)
 *   rao list
 *   rao remove <username>
 *   audit verify                                                 (exit 1 and the first broken entry if the chain is broken)
 *   cert revoke <serial-hex> [--reason keyCompromise]
 */
import { randomBytes, randomInt } from 'node:crypto';
import { systemClock } from '../shared/clock.js';
import { isAppError } from '../shared/errors.js';
import { openTscPersistence } from '../tsc/adapters/kysely/kysely-persistence.js';
import { loadTscConfig } from '../tsc/config.js';
import { verifyAuditChain } from '../tsc/domain/audit/audit-chain.js';
import { REVOCATION_REASONS, revokeCertificate } from '../tsc/domain/ca/revocation.js';
import { createRao, raoView, removeRao } from '../tsc/domain/ra/rao-accounts.js';
import { flag, parseArgs, UsageError } from './args.js';
import type { CliCommand } from './commands.js';

const USAGE = `Usage:
  oneshot tsc-admin rao add <username> --ra <registration authority id> [--password <p>] [--pin <n>]
  oneshot tsc-admin rao list
  oneshot tsc-admin rao remove <username>
  oneshot tsc-admin audit verify
  oneshot tsc-admin cert revoke <serial hex> [--reason ${REVOCATION_REASONS.join('|')}]

Uses the TSC's database (DATABASE_URL, or <ONESHOT_DATA_DIR>/tsc/tsc.db).`;

const ACTOR = 'admin-cli';

export const tscAdminCommand: CliCommand = {
  summary: 'Administer the TSC: RAO accounts, audit chain verification, certificate revocation.',
  usage: USAGE,
  async run(argv: string[]): Promise<number> {
    const args = parseArgs(argv);
    const [area, action, target] = args.positionals;
    const key = `${area ?? ''} ${action ?? ''}`;
    const known = ['rao add', 'rao list', 'rao remove', 'audit verify', 'cert revoke'];
    if (!known.includes(key)) throw new UsageError(area ? `unknown sub-command "${key.trim()}"` : 'missing sub-command');
    const config = loadTscConfig(process.env);
    const store = await openTscPersistence(config.databaseUrl);
    const deps = { store, clock: systemClock, scrypt: config.scrypt };
    try {
      switch (key) {
        case 'rao add': {
          if (!target) throw new UsageError('rao add needs a username');
          const ra = Number(flag(args, 'ra'));
          if (!Number.isInteger(ra) || ra < 1) throw new UsageError('--ra <registration authority id> is required');
          const given = { password: flag(args, 'password'), pin: flag(args, 'pin') };
          const password = given.password ?? randomBytes(18).toString('base64url');
          const pin = given.pin ?? String(randomInt(0, 100_000_000)).padStart(8, '0');
          const rec = await createRao(deps, { username: target, password, pin, registrationAuthority: ra }, ACTOR);
          console.log(`RAO created: id=${rec.id} username=${rec.username} registration_authority=${rec.registrationAuthority}`);
          // Generated secrets are shown once; they are stored only as slow hashes.
          if (!given.password) console.log(`password=${password}`);
          if (!given.pin) console.log(`pin=${pin}`);
          return 0;
        }
        case 'rao list': {
          const list = (await store.raos.list()).map(raoView);
          if (!list.length) console.log('(no RAO accounts)');
          for (const r of list) console.log(`${r.rao_id}\t${r.username}\tRA ${r.registration_authority}\t${r.created_at}`);
          return 0;
        }
        case 'rao remove': {
          if (!target) throw new UsageError('rao remove needs a username');
          await removeRao(deps, target, ACTOR);
          console.log(`RAO ${target} removed`);
          return 0;
        }
        case 'audit verify': {
          const v = await verifyAuditChain(store.audit);
          if (v.ok) {
            console.log(`audit chain OK: ${v.entries} entries`);
            return 0;
          }
          console.log(`audit chain BROKEN: first broken entry ${v.first_broken} (${v.reason}); ${v.entries} entries read`);
          return 1;
        }
        case 'cert revoke': {
          if (!target || !/^[0-9A-Fa-f]{2,40}$/.test(target)) throw new UsageError('cert revoke needs the certificate serial in hex');
          const c = await revokeCertificate(deps, target, flag(args, 'reason'), ACTOR);
          console.log(`certificate ${c.serial} revoked (${c.revocationReason}) at ${c.revokedAt!.toISOString()}`);
          return 0;
        }
      }
      return 2;
    } catch (e) {
      if (isAppError(e)) {
        console.error(`oneshot tsc-admin: ${e.message}`);
        return 1;
      }
      throw e;
    } finally {
      await store.close();
    }
  },
};
