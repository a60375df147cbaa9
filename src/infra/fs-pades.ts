/**
 * File-path conveniences over the PAdES engine, for the Optimizer and the benchmark:
 * src path → dst path (copy + append + hash in one pass), fill a prepared file, append an
 * increment in place. The engine itself (lib/pades) stays free of fs.
 */
import { rm } from 'node:fs/promises';
import { appendDss, type DssInput, type DssResult } from '../lib/pades/dss.js';
import { finishSignature } from '../lib/pades/finish.js';
import {
  prepareDocumentTimestamp,
  prepareSignature,
  type PrepareOptions,
  type PreparedDigest,
} from '../lib/pades/prepare.js';
import { FileByteSource } from './fs-byte-source.js';
import { FileRandomAccess, FileSink } from './fs-file.js';

async function prepareFile(
  kind: 'signature' | 'timestamp',
  srcPath: string,
  dstPath: string,
  opts: PrepareOptions,
): Promise<PreparedDigest> {
  const src = await FileByteSource.open(srcPath);
  let sink: FileSink | undefined;
  try {
    sink = await FileSink.create(dstPath);
    const prepared = kind === 'signature' ? await prepareSignature(src, sink, opts) : await prepareDocumentTimestamp(src, sink, opts);
    await sink.close();
    sink = undefined;
    return prepared;
  } catch (e) {
    // A refused or failed prepare leaves no partial output behind.
    if (sink) {
      await sink.close().catch(() => undefined);
      await rm(dstPath, { force: true });
    }
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
