/**
 * FsBlobStore: keys stay inside the root, a staged upload is all or nothing, and staging files an
 * interrupted upload left behind are swept by age (they may be documents or identity media).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FsBlobStore } from '../../../src/optimizer/adapters/fs-blob-store.js';

async function* chunks(...parts: string[]) {
  for (const p of parts) yield Buffer.from(p);
}

test('keys cannot leave the root', async () => {
  const root = await mkdtemp(join(tmpdir(), 'blobs-'));
  try {
    const s = new FsBlobStore(root);
    for (const k of ['../x', 'a/../../x', '/abs', 'a//b', 'a/./b', '']) assert.throws(() => s.pathOf(k), k);
    assert.equal(s.pathOf('12/doc.pdf'), join(root, '12/doc.pdf'));
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('sweepStaging removes only staging files older than the cut-off; committed blobs and live uploads stay', async () => {
  const root = await mkdtemp(join(tmpdir(), 'blobs-'));
  try {
    const s = new FsBlobStore(root);
    assert.equal(await s.sweepStaging(Date.now()), 0, 'no staging folder yet');
    const committed = await s.stage(chunks('%PDF-1.7 committed'), { maxBytes: 1 << 20 });
    await committed.commit('7/doc');
    const live = await s.stage(chunks('%PDF-1.7 still uploading'), { maxBytes: 1 << 20 });
    const staging = join(root, '.staging');
    const abandoned = join(staging, 'abandoned-by-a-crash');
    await writeFile(abandoned, 'identity media');
    const old = new Date(Date.now() - 7 * 3600_000);
    await utimes(abandoned, old, old);
    assert.equal(await s.sweepStaging(Date.now() - 6 * 3600_000), 1);
    assert.deepEqual((await readdir(staging)).length, 1, 'the live upload is kept');
    await live.commit('7/doc2');
    assert.equal(Buffer.from((await s.getBytes('7/doc2'))!).toString(), '%PDF-1.7 still uploading');
    assert.equal(Buffer.from((await s.getBytes('7/doc'))!).toString(), '%PDF-1.7 committed');
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
