import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_DATE_FORMAT, resolveTimeZone, strftime } from '../../../../src/lib/pades/appearance/index.js';
import { AppError } from '../../../../src/shared/errors.js';

const SUMMER = new Date('2024-07-15T22:30:05.123Z'); // Madrid CEST (+02:00): already the 16th there
const WINTER = new Date('2024-01-05T08:04:09Z'); // Madrid CET (+01:00)

test('default format, UTC by default', () => {
  assert.equal(DEFAULT_DATE_FORMAT, '%d/%m/%Y %H:%M:%S %z');
  assert.equal(strftime(WINTER), '05/01/2024 08:04:09 +0000');
  assert.equal(strftime(WINTER, undefined, ''), '05/01/2024 08:04:09 +0000');
});

test('Europe/Madrid in summer (CEST, +0200, next day) and winter (CET, +0100)', () => {
  assert.equal(strftime(SUMMER, DEFAULT_DATE_FORMAT, 'Europe/Madrid'), '16/07/2024 00:30:05 +0200');
  assert.equal(strftime(SUMMER, '%Z %:z', 'Europe/Madrid'), 'CEST +02:00');
  assert.equal(strftime(WINTER, DEFAULT_DATE_FORMAT, 'Europe/Madrid'), '05/01/2024 09:04:09 +0100');
  assert.equal(strftime(WINTER, '%Z', 'Europe/Madrid'), 'CET');
});

test('DST switch instants in Madrid (last Sunday of March / October at 01:00 UTC)', () => {
  assert.equal(strftime(new Date('2024-03-31T00:59:59Z'), '%H:%M:%S %z', 'Europe/Madrid'), '01:59:59 +0100');
  assert.equal(strftime(new Date('2024-03-31T01:00:00Z'), '%H:%M:%S %z', 'Europe/Madrid'), '03:00:00 +0200');
  assert.equal(strftime(new Date('2024-10-27T00:59:59Z'), '%H:%M:%S %z', 'Europe/Madrid'), '02:59:59 +0200');
  assert.equal(strftime(new Date('2024-10-27T01:00:00Z'), '%H:%M:%S %z', 'Europe/Madrid'), '02:00:00 +0100');
});

test('other zones: negative and half-hour offsets, American abbreviations', () => {
  assert.equal(strftime(WINTER, '%Y-%m-%d %H:%M %z %Z', 'America/New_York'), '2024-01-05 03:04 -0500 EST');
  assert.equal(strftime(SUMMER, '%H:%M %z %Z', 'America/New_York'), '18:30 -0400 EDT');
  assert.equal(strftime(WINTER, '%H:%M %z', 'Asia/Kolkata'), '13:34 +0530');
  assert.equal(strftime(WINTER, '%H:%M %z', 'America/Guatemala'), '02:04 -0600');
  assert.equal(strftime(WINTER, '%Z', 'UTC'), 'UTC');
});

test('every directive, C-locale names', () => {
  const d = new Date('2024-02-29T13:07:08.045Z'); // a Thursday in a leap year, day 60
  assert.equal(strftime(d, '%a %A %b %B %h'), 'Thu Thursday Feb February Feb');
  assert.equal(strftime(d, '%d %e %m %y %Y %j %u %w'), '29 29 02 24 2024 060 4 4');
  assert.equal(strftime(d, '%H %I %p %M %S %f'), '13 01 PM 07 08 045000');
  assert.equal(strftime(new Date('2024-02-03T00:05:00Z'), '%I %p %e'), '12 AM  3');
  assert.equal(strftime(d, '%F %T %R %D'), '2024-02-29 13:07:08 13:07 02/29/24');
  assert.equal(strftime(d, '%c'), 'Thu Feb 29 13:07:08 2024');
  assert.equal(strftime(d, '100%% %Q %'), '100% %Q %', 'unknown directives and a trailing % stay as written');
  assert.equal(strftime(new Date('2024-12-31T12:00:00Z'), '%j'), '366');
});

test('time zone names: IANA accepted, Europe/Barcelona (seen in One-Shot samples) aliased, junk refused', () => {
  assert.equal(resolveTimeZone(undefined), 'UTC');
  assert.equal(resolveTimeZone('Europe/Madrid'), 'Europe/Madrid');
  assert.equal(resolveTimeZone('Europe/Barcelona'), 'Europe/Madrid');
  assert.equal(strftime(SUMMER, '%z', 'Europe/Barcelona'), '+0200');
  for (const bad of ['Mars/Olympus', '+02:00', 'Europe/Madrid; rm -rf /']) {
    assert.throws(() => strftime(SUMMER, '%z', bad), (e: unknown) => e instanceof AppError && e.code === 'PDF_ERR_BAD_APPEARANCE');
  }
  assert.throws(() => strftime(new Date(NaN)), (e: unknown) => e instanceof AppError && e.code === 'PDF_ERR_BAD_APPEARANCE');
});

test('agrees with GNU date (glibc strftime + tzdata) over many instants and zones', async () => {
  const { execFileSync } = await import('node:child_process');
  const fmt = '%d/%m/%Y %H:%M:%S %z|%a %A %b %B %j %p %I %e %u %w %y %F %T';
  const zones = ['UTC', 'Europe/Madrid', 'Europe/London', 'America/New_York', 'America/Guatemala', 'Asia/Kolkata', 'Australia/Lord_Howe', 'Pacific/Chatham'];
  const withAbbrev = new Set(['UTC', 'Europe/Madrid', 'Europe/London', 'America/New_York']);
  let seed = 7;
  const instants = Array.from({ length: 12 }, () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return Math.floor(946684800 + (seed / 2 ** 31) * 1.0e9); // 2000 … 2031
  });
  for (const tz of zones)
    for (const t of instants) {
      const f = withAbbrev.has(tz) ? `${fmt} %Z` : fmt;
      const want = execFileSync('date', ['-d', `@${t}`, `+${f}`], { env: { TZ: tz, LC_ALL: 'C', PATH: process.env.PATH }, encoding: 'utf8' }).trimEnd();
      assert.equal(strftime(new Date(t * 1000), f, tz), want, `${tz} @${t}`);
    }
});
