import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { formatExact, timeAgo } from '../../src/domain/time-ago.ts';
import { compareVersions, newestVersion } from '../../src/domain/versions.ts';
import { renderHeartbeatChart } from '../../src/dashboard/heartbeat-chart.ts';
import { safeHref } from '../../src/dashboard/view-models.ts';

const test = suite('dashboard rules');
const now = new Date('2026-11-25T18:00:00Z');
const ago = (seconds: number) => timeAgo(new Date(now.getTime() - seconds * 1000), now);

test('says how long ago in words', () => {
  // seconds are "just now", then whole minutes, hours and days
  assert.is(ago(10), 'just now');
  assert.is(ago(60), '1 minute ago');
  assert.is(ago(180), '3 minutes ago');
  assert.is(ago(50 * 60), '50 minutes ago');
  assert.is(ago(2 * 3600 + 59 * 60), '2 hours ago');
  assert.is(ago(3 * 86_400), '3 days ago');
  // and the future (a mute that ends later)
  assert.is(ago(-600), 'in 10 minutes');
});

test('gives the exact time in the owner zone', () => {
  // Paris is UTC+1 in November; an unknown zone falls back to UTC
  assert.is(formatExact(now, 'Europe/Paris'), '25 Nov 2026, 19:00:00 CET');
  assert.is(formatExact(now, 'Not/AZone'), '25 Nov 2026, 18:00:00 UTC');
});

test('compares plugin versions as releases', () => {
  // 1.10 is newer than 1.9
  assert.ok(compareVersions('1.10.0', '1.9.2') > 0);
  assert.ok(compareVersions('1.0', '1.0.0') === 0);
  assert.ok(compareVersions('2.0.0-beta', '2.0.0') !== 0);
  assert.is(newestVersion(['1.2.0', '1.10.0', '1.9.9']), '1.10.0');
  assert.is(newestVersion([]), undefined);
});

test('links only http and https site URLs', () => {
  // http(s) becomes a link target; anything else stays text
  assert.is(safeHref('https://example.com'), 'https://example.com/');
  assert.is(safeHref('http://example.com/shop?x=1'), 'http://example.com/shop?x=1');
  assert.is(safeHref('javascript:alert(1)'), null);
  assert.is(safeHref('data:text/html,hi'), null);
  assert.is(safeHref('not a url'), null);
  assert.is(safeHref(null), null);
});

test('draws one bar per hour that had heartbeats', () => {
  const svg = renderHeartbeatChart(
    [
      { hour: new Date('2026-11-25T18:00:00Z'), count: 12 },
      { hour: new Date('2026-11-24T09:00:00Z'), count: 3 },
      { hour: new Date('2026-11-10T09:00:00Z'), count: 99 },
    ],
    now,
    'UTC',
  );
  // two bars (the third hour is older than 7 days), with their counts as titles
  assert.is((svg.match(/<rect /g) ?? []).length, 2);
  assert.match(svg, /12 heartbeats<\/title>/);
  assert.match(svg, /aria-label="Heartbeats per hour over the last 7 days: 15 in total"/);
  // the current hour is the rightmost bar
  assert.match(svg, /<rect x="668"/);
});

test.run();
