/**
 * POST /sign/{pk} (oneshot-api.md §1.4 #20, §3): prepares every PDF of the request and the
 * service contract (signature field, optional visible appearance, /Contents placeholder sized
 * from the TSC's signing-info), sends ALL digests — PAdES ByteRange digests and hash-flow CAdES
 * digests — to the TSC in one call with the OTP, fills each /Contents and stores the signed files.
 *
 * Failure before the TSC answers (wrong OTP, TSC error, bad options) leaves everything as it was:
 * prepared files are removed, the request keeps its status and the call can be retried.
 */
import { randomBytes } from 'node:crypto';
import { AppError, isAppError } from '../../shared/errors.js';
import type { OptimizerContext } from './context.js';
import { CONTRACT_ORIGINAL, CONTRACT_SIGNED, ensureContract, originalKey, signedKey } from './documents.js';
import { derOctetString, otherAttributesProblem } from './hashfile.js';
import { parseUid } from './ids.js';
import { imageBytes } from './images.js';
import type { AppearanceRequest } from './pdf-engine.js';
import type { ApiGen, DocumentRecord, RequestRecord, TscDigest, TscSignRequest, TscSignResult, TscSigningInfo } from './ports.js';
import { requireRequest, signerOf, type SignerIdentity } from './requests.js';
import { levelChoice, levelRank, LevelTracker, tscTsaOptions, type LevelChoice, type LevelOutcome } from './levels.js';
import { longTermRun, preflight, type LongTermRun } from './long-term.js';
import { emitStatusChange, issuedCertificate, type IssuedCertificate } from './webhooks.js';

type Obj = Record<string, unknown>;

export interface SignOutcome {
  /** true: the work was queued (async mode) and the caller gets the early answer. */
  queued: boolean;
  /** Synchronous calls: the level asked and the level produced (issue 5). */
  level?: LevelOutcome;
}

export interface Appearance {
  page: number;
  rect: [number, number, number, number];
  imageUid: string | null;
  imageB64: string | null;
  horizontal: boolean;
  qrcode: string | null;
}

export interface SignPlan {
  secret: string;
  extUnlockType?: string;
  extUnlockValue?: string;
  level: string;
  /** Level, failure policy and TSAs from the settings at /sign time (issue 5; absent in plans queued before). */
  levelChoice?: LevelChoice;
  appearances: Map<string, Appearance>;
  /** Gen C: one appearance for every PDF. */
  globalAppearance: Appearance | null;
  textLines: string[] | null;
  useText: boolean;
  dateFormat: string | null;
  timezone: string | null;
  metadataUid: string | null;
}

const isObj = (v: unknown): v is Obj => !!v && typeof v === 'object' && !Array.isArray(v);
const flagOf = (v: unknown) => v === true || v === 'true' || v === 1;
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : undefined);

function parseRect(v: unknown): [number, number, number, number] | null {
  const s = Array.isArray(v) ? v.join(',') : str(v);
  if (!s) return null;
  const n = s.split(',').map((x) => Number(x.trim()));
  if (n.length !== 4 || n.some((x) => !Number.isFinite(x))) return null;
  const [x1, y1, x2, y2] = n as [number, number, number, number];
  return [Math.min(x1, x2), Math.min(y1, y2), Math.max(x1, x2), Math.max(y1, y2)];
}

function parsePage(v: unknown): number | null {
  const s = str(v);
  return s !== undefined && /^[0-9]{1,6}$/.test(s) ? Number(s) : null;
}

/** Validates the body against the request's documents before anything is prepared. */
async function plan(ctx: OptimizerContext, gen: ApiGen, r: RequestRecord, body: Obj, docs: DocumentRecord[]): Promise<SignPlan> {
  const secret = str(body.secret);
  if (!secret) throw new AppError('API_ERR_MISSING_PARAMETER', "Missing required parameter: 'secret'");
  // The TSC's bounds (docs/tsc-api.md), checked before any PDF is prepared and answered in
  // One-Shot terms rather than with the TSC's wire-schema paths ("body/secret must NOT have…").
  if (secret.length > 256) throw new AppError('API_ERR_INVALID_PARAMETER', "Invalid parameter 'secret': at most 256 characters");
  const extType = str(body.ext_unlock_type);
  const extValue = str(body.ext_unlock_value);
  if (extType !== undefined || extValue !== undefined) {
    if (extType === undefined || !/^[A-Za-z0-9._-]{1,64}$/.test(extType)) {
      throw new AppError('API_ERR_INVALID_PARAMETER', "Invalid parameter 'ext_unlock_type': 1-64 characters of A-Z a-z 0-9 . _ -, required with ext_unlock_value");
    }
    if (extValue === undefined || extValue.length > 2048) {
      throw new AppError('API_ERR_INVALID_PARAMETER', "Invalid parameter 'ext_unlock_value': 1-2048 characters, required with ext_unlock_type");
    }
  }
  const settings = await ctx.settings.read();
  const choice = levelChoice(settings, str(body.level));
  const level = choice.level;
  const byUid = new Map(docs.map((d) => [d.uid, d]));
  const appearances = new Map<string, Appearance>();
  const perDocErrors: Obj = {};
  const missingImages: Obj = {};
  const unknownDocs: string[] = [];
  if (body.options !== undefined) {
    if (!isObj(body.options)) throw new AppError('API_ERR_INVALID_PARAMETER', "Invalid parameter: 'options' must be an object keyed by document uid");
    for (const [rawUid, o] of Object.entries(body.options)) {
      const uid = rawUid.toLowerCase();
      if (!byUid.has(uid)) {
        unknownDocs.push(rawUid.slice(0, 64));
        continue;
      }
      if (!isObj(o)) {
        perDocErrors[uid] = `Invalid options for file ${uid}`;
        continue;
      }
      if (o.usecountersignature === true || o.usecountersignature === 'true') {
        perDocErrors[uid] = `Countersignature is not supported (file ${uid})`;
        continue;
      }
      if (byUid.get(uid)!.kind === 'hash') continue; // no appearance for hash documents (§3.4)
      const rect = parseRect(o.position);
      const page = parsePage(o.page);
      if (o.position === undefined) perDocErrors[uid] = `Missing required parameter 'position' for file ${uid}`;
      else if (!rect) perDocErrors[uid] = `Invalid parameter 'position' for file ${uid}: expected "x1,y1,x2,y2"`;
      else if (o.page === undefined) perDocErrors[uid] = `Missing required parameter 'page' for file ${uid}`;
      else if (page === null) perDocErrors[uid] = `Invalid parameter 'page' for file ${uid}: expected a 0-based page number`;
      if (perDocErrors[uid]) continue;
      let imageUid: string | null = null;
      if (o.image !== undefined && o.image !== null && o.image !== '') {
        const raw = String(o.image);
        try {
          imageUid = parseUid(raw, 'IMG_ERR_NOT_FOUND', () => '');
        } catch {
          imageUid = null;
        }
        if (!imageUid || !(await ctx.images.get(imageUid))) {
          missingImages[uid] = `The image ${raw.slice(0, 64)} cannot be found on disk`;
          continue;
        }
      }
      appearances.set(uid, { page: page!, rect: rect!, imageUid, imageB64: null, horizontal: flagOf(o.horizontal), qrcode: null });
    }
  }
  if (unknownDocs.length) {
    throw new AppError('DOC_ERR_NOT_FOUND', `The following documents are not found in Request's folders: ${unknownDocs.join(', ')}`);
  }
  if (Object.keys(perDocErrors).length) throw new AppError('API_ERR_INVALID_PARAMETER', 'Invalid signature options', perDocErrors);
  if (Object.keys(missingImages).length) throw new AppError('IMG_ERR_NOT_FOUND', 'Image not found', missingImages);

  let textLines: string[] | null = null;
  let dateFormat: string | null = null;
  let timezone: string | null = null;
  const fmt = body.signature_format;
  if (isObj(fmt)) {
    if (Array.isArray(fmt.text_format)) textLines = fmt.text_format.map((l) => String(l).slice(0, 200)).slice(0, 10);
    if (str(fmt.date_format)) dateFormat = str(fmt.date_format)!.slice(0, 100);
    if (str(fmt.timezone)) timezone = str(fmt.timezone)!;
  }
  let globalAppearance: Appearance | null = null;
  const sig = body.signature;
  if (isObj(sig) && isObj(sig.appearance)) {
    const a = sig.appearance;
    const rect = parseRect(a.position);
    if (!rect) throw new AppError('API_ERR_INVALID_PARAMETER', "Invalid parameter 'signature.appearance.position': expected \"x1,y1,x2,y2\"");
    const page = a.page === undefined ? 0 : parsePage(a.page);
    if (page === null) throw new AppError('API_ERR_INVALID_PARAMETER', "Invalid parameter 'signature.appearance.page'");
    let imageUid: string | null = null;
    if (str(a.image)) {
      imageUid = parseUid(str(a.image), 'IMG_ERR_NOT_FOUND', (u) => `The image ${u} cannot be found on disk`);
      if (!(await ctx.images.get(imageUid))) throw new AppError('IMG_ERR_NOT_FOUND', `The image ${imageUid} cannot be found on disk`);
    }
    const imageB64 = str(a.b64_image) ?? null;
    if (imageB64 !== null && !/^[A-Za-z0-9+/]+={0,2}$/.test(imageB64.replace(/\s+/g, ''))) {
      throw new AppError('API_ERR_INVALID_PARAMETER', "Invalid parameter 'signature.appearance.b64_image': not base64");
    }
    if (Array.isArray(a.text)) textLines = a.text.map((l) => String(l).slice(0, 200)).slice(0, 10);
    if (str(a.date)) dateFormat = str(a.date)!.slice(0, 100);
    if (str(a.timezone)) timezone = str(a.timezone)!;
    globalAppearance = { page, rect, imageUid, imageB64, horizontal: flagOf(a.horizontal), qrcode: str(a.qrcode) ?? null };
  }
  const useText = !(body.use_signature_text === false || body.use_signature_text === 'false');
  void gen;
  let metadataUid: string | null = null;
  if (body.metadata !== undefined && body.metadata !== null && body.metadata !== '') {
    metadataUid = parseUid(String(body.metadata), 'META_ERR_NOT_FOUND', () => 'Metadata not found on disk');
    const m = await ctx.metadata.get(metadataUid);
    if (!m) throw new AppError('META_ERR_NOT_FOUND', 'Metadata not found on disk');
    if (!docs.some((d) => d.kind === 'hash')) {
      throw new AppError('API_ERR_INVALID_PARAMETER', 'Metadata can only be added to hash-flow (CAdES) signatures: this request has no hashfile');
    }
    // With the metadata attribute added, each hashfile's attributes must still be what the TSC
    // accepts (same OID as one of the hashfile's, too many, too large): refused here, in One-Shot
    // terms, rather than by the TSC in its wire schema's.
    const attr = { oid: m.oid, values: [derOctetString(Buffer.from(m.metadata, 'base64')).toString('base64')] };
    for (const d of docs) {
      const problem = d.kind === 'hash' && d.hash ? otherAttributesProblem([...d.hash.otherAttributes, attr]) : null;
      if (problem) throw new AppError('API_ERR_INVALID_PARAMETER', `Metadata cannot be added to the signature of ${d.uid}: ${problem}`);
    }
  }
  return {
    secret,
    ...(str(body.ext_unlock_type) ? { extUnlockType: str(body.ext_unlock_type) } : {}),
    ...(str(body.ext_unlock_value) ? { extUnlockValue: str(body.ext_unlock_value) } : {}),
    level, levelChoice: choice, appearances, globalAppearance, textLines, useText, dateFormat, timezone, metadataUid,
  };
}

export function commonName(s: SignerIdentity): string {
  return [s.given_name, s.surname_1, s.surname_2].filter(Boolean).join(' ').toUpperCase();
}

/** The TSC signs B-B or B-T; LT/LTA material is added by the Optimizer (docs/tsc-api.md). */
export const tscLevel = (level: string) => (level === 'B-B' ? 'B-B' : 'B-T');

/** The TSC's size bounds; `externalTsa` when the sign call names TSAs (their token bound differs). */
async function signingInfo(ctx: OptimizerContext, profile: string, level: string, externalTsa = false): Promise<TscSigningInfo> {
  const key = `signing-info:${profile}:${level}${externalTsa ? ':ext' : ''}`;
  const hit = await ctx.cache.get<TscSigningInfo>(key);
  if (hit) return hit;
  const info = await ctx.tsc.signingInfo(profile, level, externalTsa ? { externalTsa } : undefined);
  await ctx.cache.set(key, info, 10 * 60_000);
  return info;
}

export async function signRequest(ctx: OptimizerContext, gen: ApiGen, rawPk: string, body: unknown): Promise<SignOutcome> {
  const notFound = (pk: string) => `Request ${pk} not found. Cannot sign documents`;
  const assertSignable = (r: RequestRecord) => {
    if (r.status === 'ISSUED') throw new AppError('REQ_ERR_ALREADY_ISSUED', 'Request already in ISSUED status');
    if (r.status !== 'ENROLLREADY') throw new AppError('REQ_ERR_ILLEGAL_TRANSITION', `Invalid request status: ${r.status} -> ISSUED`);
  };
  const first = await requireRequest(ctx, rawPk, notFound);
  assertSignable(first);
  const pk = first.pk;
  const b: Obj = isObj(body) ? body : {};
  const release = await ctx.lock.tryAcquire(`request:${pk}`, 10 * 60_000);
  if (!release) throw new AppError('REQ_ERR_BUSY', `A signature is already in progress for Request ${pk}`);
  try {
    // Status and documents are read again under the lock: a sign that finished while this call
    // waited (or a document deleted meanwhile) is seen here, not by the TSC or the PDF engine.
    const r = await requireRequest(ctx, pk, notFound);
    assertSignable(r);
    const docs = await ctx.documents.list(r.pk);
    const p = await plan(ctx, gen, r, b, docs);
    if (docs.length === 0) throw new AppError('DOC_ERR_NOT_FOUND', 'No documents found for specified Request');
    if (r.useAsync) {
      await queueSign(ctx, r, p);
      return { queued: true };
    }
    return { queued: false, level: await runSign(ctx, r, docs, p) };
  } finally {
    await release();
  }
}

/** The plan as JSON (async jobs keep it sealed in the relational database). */
export type SignPlanJson = Omit<SignPlan, 'appearances'> & { appearances: [string, Appearance][] };
export const planToJson = (p: SignPlan): SignPlanJson => ({ ...p, appearances: [...p.appearances] });
export const planFromJson = (j: SignPlanJson): SignPlan => ({ ...j, appearances: new Map(j.appearances) });
/** AAD of a sealed plan: a sealed plan only opens for its own request. */
export const signPlanAad = (pk: number) => `sign-job:${pk}:plan`;

/**
 * Async mode (docs/async.md): the plan — it holds the OTP — is sealed (AES-256-GCM, master key)
 * into the relational database only, never Redis nor logs; the queue job carries just the pk.
 * domain/async-sign.ts runs it.
 */
async function queueSign(ctx: OptimizerContext, r: RequestRecord, p: SignPlan): Promise<void> {
  const now = ctx.clock.now();
  const tag = randomBytes(6).toString('hex');
  const started = await ctx.async.signJobs.start({
    pk: r.pk, state: 'queued', planSealed: ctx.secrets.seal(JSON.stringify(planToJson(p)), signPlanAad(r.pk)),
    attemptTag: tag, prepared: null, resultSealed: null, submissions: 0, runs: 0, error: null, createdAt: now, updatedAt: now,
  });
  if (!started) throw new AppError('REQ_ERR_BUSY', `A signature is already in progress for Request ${r.pk}`);
  await ctx.requests.update(r.pk, { asyncStatus: 'signing', updatedAt: now });
  // If this enqueue is lost (crash, Redis gone), recovery finds the stale 'queued' job (async-sign.ts).
  await ctx.jobs.enqueue('sign', { pk: r.pk }, { jobId: `sign-${r.pk}-${tag}` });
}

/** One file being signed: its input, its work file (placeholder filled later) and its final key. */
export interface PreparedTarget {
  id: string;
  inputKey: string;
  workKey: string;
  finalKey: string;
  /** Engine state finish() needs (offsets, not bytes). */
  state: string;
  /** SHA-256 of the ByteRange, base64. */
  digest: string;
}

/** Removes work files (a failed or abandoned attempt). */
export async function discardPrepared(ctx: OptimizerContext, prepared: PreparedTarget[]): Promise<void> {
  await Promise.all(prepared.map((x) => ctx.blobs.delete(x.workKey).catch(() => {})));
}

/** Work file of a target in one attempt. */
export const workKeyOf = (pk: number, id: string, tag: string) => `${pk}/${id}.signing-${tag}`;

/**
 * Step 1: prepares every PDF and the contract into work files named by `tag` (signature field,
 * appearance, /Contents placeholder) and returns them with every digest for the TSC — PAdES
 * ByteRange digests and hash-flow CAdES digests. On failure the work files are removed.
 */
export async function prepareSignTargets(
  ctx: OptimizerContext, r: RequestRecord, docs: DocumentRecord[], p: SignPlan, tag: string,
): Promise<{ prepared: PreparedTarget[]; digests: TscDigest[] }> {
  const choice = p.levelChoice;
  const info = await signingInfo(ctx, r.profile, tscLevel(p.level), (choice?.servers.length ?? 0) > 0);
  // B-LT/B-LTA under fail-closed: the validation data must be reachable before the OTP is spent
  // (issue 5); under degrade a failure later signs at B-T instead.
  if (choice && levelRank(choice.level) >= levelRank('B-LT') && choice.failurePolicy === 'fail-closed') await preflight(ctx.longTerm, info);
  // /Contents holds the DER CMS as hex (ISO 32000-1 §12.8.1); the TSC's bound plus a margin
  // (the bound includes the timestamp token for B-T and above; B-LT data goes in the DSS).
  const contentsBytes = Math.ceil((info.cmsMaxBytes + 1024) / 256) * 256;
  const signer = signerOf(ctx, r);
  const now = ctx.clock.now();
  const values = {
    CN: commonName(signer),
    SUBJECT: [`CN=${commonName(signer)}`, signer.serial_number ? `SERIALNUMBER=${signer.id_document_type ?? 'IDC'}${signer.id_document_country ?? 'ES'}-${signer.serial_number}` : '', `C=${signer.id_document_country ?? 'ES'}`].filter(Boolean).join(', '),
    EMAIL: signer.email,
    L: '',
    date: now,
  };
  await ensureContract(ctx, r);
  const prepared: PreparedTarget[] = [];
  try {
    const targets = [
      ...docs.filter((d) => d.kind === 'pdf').map((d) => ({ id: d.uid, inputKey: originalKey(r.pk, d.uid), finalKey: signedKey(r.pk, d.uid) })),
      { id: 'contract', inputKey: CONTRACT_ORIGINAL(r.pk), finalKey: CONTRACT_SIGNED(r.pk) },
    ];
    for (const t of targets) {
      const a = t.id === 'contract' ? null : p.appearances.get(t.id) ?? p.globalAppearance;
      let appearance: AppearanceRequest | null = null;
      if (a) {
        const image = a.imageUid ? await imageBytes(ctx, a.imageUid) : a.imageB64 ? Buffer.from(a.imageB64, 'base64') : null;
        appearance = {
          page: a.page, rect: a.rect, image, text: p.textLines, useText: p.useText, dateFormat: p.dateFormat, timezone: p.timezone,
          horizontal: a.horizontal, qrcode: a.qrcode, values,
        };
      }
      const workKey = workKeyOf(r.pk, t.id, tag);
      const prep = await ctx.pdf.prepare({
        inputKey: t.inputKey, outputKey: workKey, contentsBytes, appearance, signerName: values.CN, signingTime: now,
      });
      prepared.push({ ...t, workKey, state: prep.state, digest: Buffer.from(prep.digest).toString('base64') });
    }
    const metadata = p.metadataUid ? await ctx.metadata.get(p.metadataUid) : null;
    const extra = metadata
      ? [{ oid: metadata.oid, values: [derOctetString(Buffer.from(metadata.metadata, 'base64')).toString('base64')] }]
      : [];
    // Extra signed attributes go into the CAdES (hash-flow) signatures only: the TSC keeps PAdES
    // signatures to the baseline attribute set (ETSI EN 319 142-1 §5.2).
    const digests: TscDigest[] = prepared.map((x) => ({ id: x.id, digest_algorithm: 'sha256', digest: x.digest, format: 'pades' }));
    for (const d of docs) {
      if (d.kind !== 'hash' || !d.hash) continue;
      const other = [...d.hash.otherAttributes, ...extra];
      digests.push({
        id: d.uid, digest_algorithm: 'sha256', digest: d.hash.digest, format: 'cades', signing_time: d.hash.addSigningTime,
        ...(other.length ? { other_attributes: other } : {}),
      });
    }
    return { prepared, digests };
  } catch (e) {
    await discardPrepared(ctx, prepared);
    throw e;
  }
}

/** Step 2's body: all digests in one call with the OTP (or external authentication). */
export function tscSignBody(p: SignPlan, digests: TscDigest[]): TscSignRequest {
  return {
    secret: p.secret,
    ...(p.extUnlockType ? { ext_unlock_type: p.extUnlockType } : {}),
    ...(p.extUnlockValue ? { ext_unlock_value: p.extUnlockValue } : {}),
    level: tscLevel(p.level),
    ...(p.levelChoice ? { tsa: tscTsaOptions(p.levelChoice) } : {}),
    digests,
  };
}

/** Records ISSUED locally: the TSC has issued the certificate and consumed the OTP. */
export async function markIssued(ctx: OptimizerContext, r: RequestRecord): Promise<void> {
  await ctx.requests.update(r.pk, { status: 'ISSUED', signedAt: ctx.clock.now(), updatedAt: ctx.clock.now(), ...(r.useAsync ? { asyncStatus: 'signed' } : {}) });
}

/**
 * Step 3: fills each /Contents with its CMS and moves the work file into place; stores the
 * .p7m of hash documents. Idempotent (a resumed job may run it twice): a target whose work file
 * is gone and whose final file exists is done. Returns the ids that could not be completed.
 */
export async function storeSignatures(
  ctx: OptimizerContext, r: RequestRecord, docs: DocumentRecord[], prepared: PreparedTarget[], result: TscSignResult,
  levels?: { choice: LevelChoice; tracker: LevelTracker },
): Promise<string[]> {
  const cmsById = new Map(result.signatures.map((s) => [s.id, Buffer.from(s.cms, 'base64')]));
  const failures: string[] = [];
  const lt = levels ? await longTermFor(ctx, r, result, levels, prepared.flatMap((x) => { const c = cmsById.get(x.id); return c ? [new Uint8Array(c)] : []; })) : null;
  for (const x of prepared) {
    const cms = cmsById.get(x.id);
    try {
      if (!cms) throw new AppError('CMS_ERR_MALFORMED', `TSC returned no signature for ${x.id}`);
      if (!(await ctx.blobs.exists(x.workKey)) && (await ctx.blobs.exists(x.finalKey))) continue;
      await ctx.pdf.finish(x.workKey, x.state, cms);
      // B-LT/B-LTA increments go to new files; the signed work file is the fallback.
      const ready = lt ? await lt.extend({ key: x.workKey, state: x.state }) : x.workKey;
      await ctx.blobs.move(ready, x.finalKey);
      if (ready !== x.workKey) await ctx.blobs.delete(x.workKey).catch(() => {});
      if (x.id !== 'contract') {
        const s = await ctx.blobs.openRead(x.finalKey);
        s?.stream.destroy();
        await ctx.documents.setSignedSize(r.pk, x.id, s?.size ?? 0);
      }
    } catch (e) {
      failures.push(x.id);
      logStoreFailure(ctx, r.pk, x.id, e);
      await ctx.blobs.delete(x.workKey).catch(() => {});
    }
  }
  for (const d of docs) {
    if (d.kind !== 'hash') continue;
    const cms = cmsById.get(d.uid);
    try {
      if (!cms) throw new AppError('CMS_ERR_MALFORMED', `TSC returned no signature for ${d.uid}`);
      await ctx.blobs.putBytes(signedKey(r.pk, d.uid), cms);
      await ctx.documents.setSignedSize(r.pk, d.uid, cms.length);
    } catch (e) {
      failures.push(d.uid);
      logStoreFailure(ctx, r.pk, d.uid, e);
    }
  }
  return failures;
}

/** The client only learns which files failed (a 500); the operator log says why (no document bytes). */
function logStoreFailure(ctx: OptimizerContext, pk: number, id: string, e: unknown): void {
  ctx.async.log.error({ pk, document: id, code: isAppError(e) ? e.code : undefined, err: (e as Error)?.message }, 'signed file could not be stored');
}

/**
 * What the TSC produced bounds the level (a TSA degradation under policy degrade is B-B); B-LT and
 * B-LTA then get a long-term run over the PDFs' CMS (docs/levels.md).
 */
async function longTermFor(
  ctx: OptimizerContext, r: RequestRecord, result: TscSignResult, levels: { choice: LevelChoice; tracker: LevelTracker }, pdfCms: Uint8Array[],
): Promise<LongTermRun | null> {
  if (result.level === 'B-B' && levels.tracker.current !== 'B-B') {
    levels.tracker.lower('B-B', result.degradationReason ?? 'the TSC signed without a timestamp');
  }
  if (levelRank(levels.tracker.current) < levelRank('B-LT')) return null;
  const info = await signingInfo(ctx, r.profile, 'B-T', levels.choice.servers.length > 0);
  const b64 = (s: string) => new Uint8Array(Buffer.from(s, 'base64'));
  return longTermRun(ctx.longTerm, {
    now: () => ctx.clock.now(), remove: (k) => ctx.blobs.delete(k), finish: (k, s, t) => ctx.pdf.finish(k, s, t),
  }, {
    choice: levels.choice, tracker: levels.tracker, signer: b64(result.certificate), chain: result.chain.map(b64), cmsList: pdfCms,
    // Without the TSC's bound (an older TSC): its documented bound for external TSAs.
    tstMaxBytes: info.tstMaxBytes ?? 12_288,
  });
}

/** Webhook view of the issued certificate (oneshot-api.md §3.5 REQUEST_ENROLLED). */
export function issuedCertificates(result: TscSignResult): IssuedCertificate[] {
  try {
    return [issuedCertificate(result.certificate)];
  } catch {
    // An unreadable certificate must not fail a finished signature: the event still names it.
    return [{ status: 'VALID', serial_number: result.serialNumber, valid_from: '', valid_to: '' }];
  }
}

async function runSign(ctx: OptimizerContext, r: RequestRecord, docs: DocumentRecord[], p: SignPlan): Promise<LevelOutcome> {
  const { prepared, digests } = await prepareSignTargets(ctx, r, docs, p, ctx.clock.now().getTime().toString(36));
  let result: TscSignResult;
  try {
    result = await ctx.tsc.sign(r.pk, tscSignBody(p, digests));
  } catch (e) {
    await discardPrepared(ctx, prepared);
    throw e;
  }
  // The TSC has issued the certificate and consumed the OTP: from here on the request is ISSUED
  // whatever happens, so record it first and then store every signature we can.
  await markIssued(ctx, r);
  const choice = p.levelChoice ?? levelChoice(await ctx.settings.read(), p.level);
  const tracker = new LevelTracker(choice.level);
  const failures = await storeSignatures(ctx, r, docs, prepared, result, { choice, tracker });
  // After the files are in place, so a receiver of the event can download them at once.
  await emitStatusChange(ctx, r.pk, 'ISSUED', { certificates: issuedCertificates(result) });
  if (failures.length) {
    throw new AppError('INTERNAL_ERR', `Signatures could not be completed for: ${failures.join(', ')}`);
  }
  return tracker.outcome();
}
