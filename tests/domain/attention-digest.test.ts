// The weekly digest's pure rules (src/domain/attention-digest.ts): when it is due in the owner's
// zone, what is new and what is still open, and what settings an owner may give.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { digestItemKey, digestOccurrence, parseDigestSettings, planDigest, type DigestItem } from '../../src/domain/attention-digest.ts';

const test = suite('weekly attention digest rules');

test('the occurrence is the chosen local weekday and hour, due for a day after it', () => {
  const monday9 = { weekday: 1, hour: 9 };
  const rows: Array<[string, string, string | undefined]> = [
    // now (UTC), zone, occurrence expected
    ['2026-01-05T07:59:00Z', 'Europe/Berlin', undefined],
    ['2026-01-05T08:00:00Z', 'Europe/Berlin', '2026-01-05T08:00:00.000Z'],
    ['2026-01-06T07:59:00Z', 'Europe/Berlin', '2026-01-05T08:00:00.000Z'],
    ['2026-01-06T08:00:00Z', 'Europe/Berlin', undefined],
    // summer time: 09:00 in Berlin is 07:00 UTC
    ['2026-07-06T07:00:00Z', 'Europe/Berlin', '2026-07-06T07:00:00.000Z'],
    ['2026-01-05T09:00:00Z', 'UTC', '2026-01-05T09:00:00.000Z'],
    // an unknown zone never comes due
    ['2026-01-05T09:00:00Z', 'Mars/Olympus', undefined],
  ];
  for (const [now, zone, expected] of rows) {
    assert.is(digestOccurrence(monday9, zone, new Date(now))?.toISOString(), expected, `${now} ${zone}`);
  }
  // a Sunday 02:30 digest on the day Berlin skips 02:00–03:00 comes at the first minute after the gap
  assert.is(digestOccurrence({ weekday: 7, hour: 2 }, 'Europe/Berlin', new Date('2026-03-29T02:00:00Z'))?.toISOString(), '2026-03-29T01:00:00.000Z');
});

const item = (botId: string, kind: DigestItem['kind']): DigestItem => ({ botId, kind, detail: 'd', next_step: 'n', since: new Date(0) });

test('items the last digest listed are still open; others are new; opted-out kinds are dropped', () => {
  const last = [digestItemKey(item('a', 'cron_disabled'), '1.2.0'), digestItemKey(item('a', 'plugin_outdated'), '1.2.0')];
  const plan = planDigest([item('a', 'plugin_outdated'), item('a', 'cron_disabled'), item('b', 'cron_disabled'), item('b', 'not_production')], ['not_production'], last, '1.3.0');
  // plugin_outdated behind a newer release than last week's is news again
  assert.equal(plan.fresh.map((i) => `${i.botId}:${i.kind}`), ['a:plugin_outdated', 'b:cron_disabled']);
  assert.equal(plan.still.map((i) => `${i.botId}:${i.kind}`), ['a:cron_disabled']);
  assert.equal(plan.keys, ['a:plugin_outdated:1.3.0', 'a:cron_disabled', 'b:cron_disabled']);
  // nothing left: no keys, no mail
  assert.equal(planDigest([item('b', 'not_production')], ['not_production'], [], undefined).keys, []);
});

test('settings: weekday 1–7, hour 0–23, kinds from the list; each refusal names its field', () => {
  const current = { weekday: 1, hour: 9, off: [] };
  const rows: Array<[Record<string, unknown>, string | object]> = [
    [{ weekday: 7, hour: 0 }, { weekday: 7, hour: 0, off: [] }],
    [{ weekday: '3', hour: '18' }, { weekday: 3, hour: 18, off: [] }],
    [{ off: ['not_production', 'cron_overdue', 'not_production'] }, { weekday: 1, hour: 9, off: ['cron_overdue', 'not_production'] }],
    [{ weekday: 8 }, 'weekday'],
    [{ weekday: 1.5 }, 'weekday'],
    [{ hour: -1 }, 'hour'],
    [{ hour: '9.0' }, 'hour'],
    [{ off: ['x'] }, 'off'],
    [{ off: null }, 'off'],
  ];
  for (const [input, expected] of rows) {
    const parsed = parseDigestSettings(input, current);
    if (typeof expected === 'string') {
      assert.is(parsed.ok, false, JSON.stringify(input));
      if (!parsed.ok) assert.is(parsed.field, expected);
    } else assert.equal(parsed.ok && parsed.value, expected, JSON.stringify(input));
  }
});

test.run();
