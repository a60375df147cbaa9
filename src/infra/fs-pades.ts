/**
 * File-path conveniences over the PAdES engine, for the Optimizer and the benchmark:
 * src path → dst path (in-kernel copy + hash in parallel, then append), fill a prepared file, append an
 * increment in place. The engine itself (lib/pades) stays free of fs.
 */
import { constants } from 'node:fs';
import { copyFile, rm } from 'node:fs/promises';
import { AppError } from '../shared/errors.js';
import { appendDss, type DssInput, type DssResult } from '../lib/pades/dss.js';
import { finishSignature } from '../lib/pades/finish.js';
import { completeDigest, hashSource, planSignature, preparedDigestOf, type PrepareOptions, type PreparedDigest } from '../lib/pades/prepare.js';
import type { SignatureKind } from '../lib/pades/signature-dictionary.js';
import { FileByteSource } from './fs-byte-source.js';
import { FileRandomAccess } from './fs-file.js';

/**
 * src → dst: plan the increment (all refusals happen here, nothing written yet), then copy the
 * original with an in-kernel copy (copy_file_range via fs.copyFile) while this process streams
 * the same bytes through the hash (started even before planning), then append the increment.
 * Measured faster than a read+hash+write loop in JS (bench/pdf); same digest and bytes as the
 * ports path (test/lib/pades/sign.test.ts).
 */
async function prepareFile(kind: SignatureKind, srcPath: string, dstPath: string, opts: PrepareOptions): Promise<PreparedDigest> {
  const src = await FileByteSource.open(srcPath);
  // The original's hash does not depend on the plan: start it now, read-only, so it runs
  // while the increment is planned. Aborted (and awaited) if the plan refuses the input.
  const abort = { aborted: false };
  const sourceHash = hashSource(src, opts.digestAlgorithm ?? 'SHA-256', abort);
  sourceHash.catch(() => undefined);
  let created = false;
  try {
    const plan = await planSignature(src, kind, opts);
    const copy = copyFile(srcPath, dstPath, constants.COPYFILE_EXCL).then(() => {
      created = true;
    });
    const [hashed, copied] = await Promise.allSettled([sourceHash, copy]);
    if (copied.status === 'rejected') {
      // EEXIST: someone else's file, never removed. Anything else: our partial copy.
      if ((copied.reason as NodeJS.ErrnoException)?.code !== 'EEXIST') created = true;
      throw copied.reason;
    }
    if (hashed.status === 'rejected') throw hashed.reason;
    const out = await FileRandomAccess.open(dstPath);
    try {
      if (out.size !== src.size) throw new AppError('INTERNAL_ERR', 'The source changed while it was being copied');
      await out.append(plan.increment.bytes);
    } finally {
      await out.close();
    }
    return preparedDigestOf(plan, completeDigest(hashed.value, plan));
  } catch (e) {
    abort.aborted = true;
    await sourceHash.catch(() => undefined);
    // A failed prepare leaves no partial output behind.
    if (created) await rm(dstPath, { force: true });
    throw e;
  } finally {
    await src.close();
  }
}

/** Copies srcPath to a new dstPath with the signature increment appended; returns the digest to sign. */
export function prepareSignatureFile(srcPath: string, dstPath: string, opts: PrepareOptions): Promise<PreparedDigest> {
  return prepareFile('signature', srcPath, dstPath, opts);
}

/** Same for a document timestamp (B-LTA). */
export function prepareDocumentTimestampFile(srcPath: string, dstPath: string, opts: Omit<PrepareOptions, 'signingTime' | 'reason' | 'location' | 'contactInfo' | 'name'>): Promise<PreparedDigest> {
  return prepareFile('timestamp', srcPath, dstPath, opts);
}

/** Fills the prepared file's /Contents with the CMS (one positional write). */
export async function finishSignatureFile(path: string, prepared: PreparedDigest, cms: Uint8Array): Promise<void> {
  const f = await FileRandomAccess.open(path);
  try {
    await finishSignature(f, prepared, cms);
  } finally {
    await f.close();
  }
}

/** Appends a DSS increment (B-LT validation data) to a signed file in place. */
export async function appendDssToFile(path: string, input: DssInput, opts: { strict?: boolean } = {}): Promise<DssResult> {
  const f = await FileRandomAccess.open(path);
  try {
    return await appendDss(f, input, opts);
  } finally {
    await f.close();
  }
}
