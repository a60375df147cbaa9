/**
 * Level settings (issue 5): `signature.level` (B-B … B-LTA), `signature.failure_policy`,
 * `tsa.tsa_hash_algorithms`, and the per-sign `"level"` — refused with a 400 before anything
 * changes when invalid; levelChoice maps them to what the TSC and the long-term step get.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { levelChoice, LevelTracker, tscTsaOptions } from '../../src/optimizer/domain/levels.js';
import { defaultSettings } from '../../src/optimizer/domain/settings.js';
import { AppError } from '../../src/shared/errors.js';
import { startHarness } from '../support/optimizer-harness.js';

test('levelChoice: default B-T fail-closed with the TSC\'s own TSA; override; TSA list with per-URL hash, de-duplicated, at most 5', () => {
  const s = defaultSettings();
  assert.deepEqual(levelChoice(s, undefined), { level: 'B-T', failurePolicy: 'fail-closed', servers: [] });
  assert.deepEqual(tscTsaOptions(levelChoice(s, undefined)), { failure_policy: 'fail-closed' });
  assert.equal(levelChoice(s, 'B-LTA').level, 'B-LTA');
  assert.throws(() => levelChoice(s, 'B-LTV'), (e: unknown) => e instanceof AppError && e.code === 'API_ERR_INVALID_PARAMETER' && /B-B, B-T, B-LT, B-LTA/.test(e.message));
  s.signature = { level: 'B-LT', failure_policy: 'degrade' };
  s.tsa = { tsa_url: 'https://a.example/tsr', tsa_failover_urls: ['https://b.example/', 'https://a.example/tsr', 'https://c/', 'https://d/', 'https://e/', 'https://f/'], tsa_hash_algorithms: { 'https://b.example/': 'sha384', 'https://c/': 'md5' } };
  const c = levelChoice(s, undefined);
  assert.equal(c.level, 'B-LT');
  assert.equal(c.failurePolicy, 'degrade');
  assert.deepEqual(c.servers.map((x) => [x.url, x.hash_algorithm]), [
    ['https://a.example/tsr', 'sha256'], ['https://b.example/', 'sha384'], ['https://c/', 'sha256'], ['https://d/', 'sha256'], ['https://e/', 'sha256'],
  ]);
  assert.deepEqual(tscTsaOptions(c).servers?.length, 5);
});

test('LevelTracker keeps the lowest level reached and the first reason', () => {
  const t = new LevelTracker('B-LTA');
  assert.deepEqual(t.outcome(), { requested: 'B-LTA', produced: 'B-LTA', degraded: false });
  t.lower('B-LT', 'TSA_ERR_UNAVAILABLE: doc timestamp');
  t.lower('B-T', 'LTV_ERR_UNAVAILABLE: later');
  t.lower('B-LT', 'ignored: not lower');
  assert.deepEqual(t.outcome(), { requested: 'B-LTA', produced: 'B-T', degraded: true, reason: 'TSA_ERR_UNAVAILABLE: doc timestamp' });
});

test('POST /settings: levels B-B…B-LTA and both policies are accepted; anything else is a 400 that changes nothing', async () => {
  const h = await startHarness({ tscUrl: 'http://127.0.0.1:9', tscKey: null });
  try {
    for (const level of ['B-B', 'B-T', 'B-LT', 'B-LTA']) {
      assert.equal((await h.call('POST', '/api/v1/settings', { signature: { level } })).status, 200, level);
    }
    assert.equal((await h.call('POST', '/api/v1/settings', { signature: { failure_policy: 'degrade' }, tsa: { tsa_hash_algorithms: { 'https://t.example/': 'sha512' } } })).status, 200);
    const before = (await h.call('GET', '/api/v1/settings')).json.details;
    for (const bad of [{ signature: { level: 'LTV' } }, { signature: { failure_policy: 'maybe' } }, { tsa: { tsa_hash_algorithms: { 'https://t.example/': 'md5' } } },
      { tsa: { tsa_hash_algorithms: { 'not a url': 'sha256' } } }, { tsa: { tsa_failover_urls: ['https://1/', 'https://2/', 'https://3/', 'https://4/', 'https://5/'] } }]) {
      const r = await h.call('POST', '/api/v1/settings', bad);
      assert.equal(r.status, 400, JSON.stringify(bad));
    }
    const after = (await h.call('GET', '/api/v1/settings')).json.details;
    assert.deepEqual(after, before);
    assert.equal(after.signature.level, 'B-LTA');
    assert.equal(after.signature.failure_policy, 'degrade');
  } finally {
    await h.close();
  }
});
