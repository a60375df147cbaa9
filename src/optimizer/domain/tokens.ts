/**
 * Tokens: Optimizer-side records of RAO credentials (oneshot-api.md §1.3). Verified against the
 * TSC when created; password and PIN sealed with AES-256-GCM, never stored in plaintext; GET shows
 * booleans only.
 */
import { AppError } from '../../shared/errors.js';
import { isHeaderSafe } from '../../shared/header-value.js';
import { dashedUid, hexUid, isUid } from '../../shared/ids.js';
import type { OptimizerContext } from './context.js';
import { echo } from './ids.js';
import type { ApiGen, Environment, RaoCredentials, TokenRecord } from './ports.js';

export interface TokenView {
  username: string;
  password: boolean;
  pin: boolean;
}

export interface CreateTokenInput {
  username?: unknown;
  password?: unknown;
  pin?: unknown;
  env?: unknown;
}

const view = (t: TokenRecord): TokenView => ({ username: t.username, password: t.passwordSealed !== null, pin: t.pinSealed !== null });

function optString(v: unknown, name: string): string | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v === 'number') return String(v);
  if (typeof v !== 'string') throw new AppError('API_ERR_INVALID_PARAMETER', `Invalid parameter: '${name}' must be a string`);
  return v;
}

/**
 * RAO credentials travel to the TSC as HTTP header values (docs/tsc-api.md), which carry printable
 * Latin-1 only and lose surrounding spaces: anything else could never authenticate, and the HTTP
 * client's complaint about it quotes the value (a password in the error log). Refused up front,
 * without echoing the value.
 */
function credential(v: unknown, name: 'username' | 'password' | 'pin'): string | undefined {
  const s = optString(v, name);
  if (s !== undefined && (s.length > 256 || !isHeaderSafe(s))) {
    throw new AppError('API_ERR_INVALID_PARAMETER', `Invalid parameter: '${name}' must be 1-256 printable Latin-1 characters without leading or trailing spaces`);
  }
  return s;
}

export async function resolveEnvironment(ctx: OptimizerContext, requested: unknown): Promise<Environment> {
  const settings = await ctx.settings.read();
  const env = optString(requested, 'env') ?? settings.general.environment;
  if (!env) throw new AppError('API_ERR_MISSING_PARAMETER', 'Missing env parameter. Please set it in settings or specify it as parameter');
  if (env !== 'sandbox' && env !== 'prod') throw new AppError('API_ERR_INVALID_PARAMETER', `Environment ${echo(env)} does not exist`);
  // One Optimizer talks to one TSC, which serves the environment configured in settings.
  if (env !== settings.general.environment) throw new AppError('API_ERR_INVALID_PARAMETER', 'The specified environment is not available');
  return env;
}

export async function createToken(
  ctx: OptimizerContext,
  gen: ApiGen,
  input: CreateTokenInput,
  opts: { uid?: string; protected?: boolean } = {},
): Promise<string> {
  const username = credential(input.username, 'username');
  if (!username) throw new AppError('API_ERR_MISSING_PARAMETER', "Missing required parameter: 'username'");
  const password = credential(input.password, 'password');
  const pin = credential(input.pin, 'pin');
  const env = await resolveEnvironment(ctx, input.env);
  const fingerprint = ctx.secrets.fingerprint('token', username, password, pin, env);
  const duplicate = () => new AppError('TOKEN_ERR_ALREADY_EXISTS', 'A token with these credentials already exist!');
  if (await ctx.tokens.findByFingerprint(fingerprint)) throw duplicate();
  const creds: RaoCredentials = { username, ...(password ? { password } : {}), ...(pin ? { pin } : {}) };
  const rao = await ctx.tsc.verifyRao(creds);
  const uid = opts.uid ?? (gen === 'C' ? dashedUid() : hexUid());
  if (!isUid(uid)) throw new AppError('API_ERR_INVALID_PARAMETER', 'Invalid token uid');
  const record: TokenRecord = {
    uid,
    username,
    passwordSealed: password ? ctx.secrets.seal(password, `token:${uid}:password`) : null,
    pinSealed: pin ? ctx.secrets.seal(pin, `token:${uid}:pin`) : null,
    env,
    fingerprint,
    protected: opts.protected ?? false,
    raoId: rao.raoId,
    registrationAuthority: rao.registrationAuthority,
    createdAt: ctx.clock.now(),
  };
  try {
    await ctx.tokens.insert(record);
  } catch (e) {
    // Two concurrent creations with the same credentials both passed the check above (the TSC
    // call sits in between): the unique fingerprint lets one in, the other is the documented 400.
    if (await ctx.tokens.findByFingerprint(fingerprint)) throw duplicate();
    throw e;
  }
  return uid;
}

async function findToken(ctx: OptimizerContext, raw: string | undefined, text: (uid: string) => string): Promise<TokenRecord> {
  const uid = String(raw ?? '').toLowerCase();
  if (!raw) throw new AppError('API_ERR_MISSING_PARAMETER', 'Missing required parameter: no token uid specified');
  const t = isUid(uid) ? await ctx.tokens.get(uid) : null;
  if (!t) throw new AppError('TOKEN_ERR_NOT_FOUND', text(echo(raw)));
  return t;
}

export async function getToken(ctx: OptimizerContext, uid: string | undefined): Promise<TokenView> {
  return view(await findToken(ctx, uid, (u) => `Token ${u} not found`));
}

export async function listTokens(ctx: OptimizerContext): Promise<Record<string, TokenView>> {
  const out: Record<string, TokenView> = {};
  for (const t of await ctx.tokens.list()) out[t.uid] = view(t);
  return out;
}

export async function deleteToken(ctx: OptimizerContext, uid: string | undefined): Promise<void> {
  const t = await findToken(ctx, uid, () => 'Token not found');
  if (t.protected) throw new AppError('TOKEN_ERR_PROTECTED', 'The sandbox demo token cannot be deleted');
  await ctx.tokens.delete(t.uid);
}

/** DELETE /tokens (Gen A): removes every token except the protected sandbox demo token. */
export async function deleteAllTokens(ctx: OptimizerContext): Promise<number> {
  let n = 0;
  for (const t of await ctx.tokens.list()) if (!t.protected && (await ctx.tokens.delete(t.uid))) n++;
  return n;
}

/**
 * Seeds the sandbox demo token at start-up (idempotent): a protected token for the sandbox RAO,
 * so `GET /api/v1/tokens` lists it on a fresh install.
 */
export async function ensureSandboxToken(
  ctx: OptimizerContext,
  seed: { uid?: string; username: string; password?: string; pin?: string },
): Promise<string> {
  const existing = (await ctx.tokens.list()).find((t) => t.protected && t.username === seed.username);
  if (existing) return existing.uid;
  try {
    return await createToken(ctx, 'B', { ...seed, env: 'sandbox' }, { uid: seed.uid, protected: true });
  } catch (e) {
    // Same credentials already stored as an ordinary token: keep that one.
    if (e instanceof AppError && e.code === 'TOKEN_ERR_ALREADY_EXISTS') {
      const fp = ctx.secrets.fingerprint('token', seed.username, seed.password, seed.pin, 'sandbox');
      const t = await ctx.tokens.findByFingerprint(fp);
      if (t) return t.uid;
    }
    throw e;
  }
}

/**
 * RAO credentials for a call: from `token` and/or explicit fields (explicit fields fill what the
 * token does not hold, oneshot-api.md §1.3). All three are needed to create and approve.
 */
export async function resolveCredentials(
  ctx: OptimizerContext,
  input: { token?: unknown; username?: unknown; password?: unknown; pin?: unknown },
): Promise<{ creds: Required<RaoCredentials>; token: TokenRecord | null }> {
  const tokenUid = optString(input.token, 'token');
  let token: TokenRecord | null = null;
  let username = credential(input.username, 'username');
  let password = credential(input.password, 'password');
  let pin = credential(input.pin, 'pin');
  if (tokenUid) {
    token = await findToken(ctx, tokenUid, (u) => `Token ${u} not found`);
    username = token.username;
    if (token.passwordSealed) password = ctx.secrets.open(token.passwordSealed, `token:${token.uid}:password`);
    if (token.pinSealed) pin = ctx.secrets.open(token.pinSealed, `token:${token.uid}:pin`);
  }
  if (!username || !password || !pin) {
    throw new AppError('RAO_ERR_INCOMPLETE_CREDENTIALS', "Missing required parameters: incomplete RAO's credentials");
  }
  return { creds: { username, password, pin }, token };
}
