import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { badgeState, dayBar, publicState, type PublicSiteFacts } from '../../src/domain/public-status.ts';

const test = suite('what a public status page says');
const now = new Date('2026-12-04T12:00:00Z');
const minutesAgo = (m: number) => new Date(now.getTime() - m * 60_000);

test('one state per site, maintenance first, in table form', () => {
  const rows: Array<[string, PublicSiteFacts, string]> = [
    ['reporting', { status: 'connected', maintenanceUntil: null, lastActivity: minutesAgo(4) }, 'up'],
    ['two heartbeats missed', { status: 'connected', maintenanceUntil: null, lastActivity: minutesAgo(12) }, 'late'],
    ['stale', { status: 'stale', maintenanceUntil: null, lastActivity: minutesAgo(40) }, 'down'],
    ['stale in a window', { status: 'stale', maintenanceUntil: minutesAgo(-30), lastActivity: minutesAgo(40) }, 'maintenance'],
    ['a window that ended', { status: 'connected', maintenanceUntil: minutesAgo(1), lastActivity: minutesAgo(2) }, 'up'],
    ['never connected', { status: 'never', maintenanceUntil: null, lastActivity: null }, 'unmonitored'],
    ['switched off', { status: 'disabled', maintenanceUntil: null, lastActivity: minutesAgo(2) }, 'unmonitored'],
  ];
  for (const [name, facts, state] of rows) assert.is(publicState(facts, now), state, name);
});

test('the badge takes the worst of its sites', () => {
  assert.is(badgeState(['up', 'maintenance', 'unmonitored']), 'up');
  assert.is(badgeState(['up', 'late']), 'late');
  assert.is(badgeState(['late', 'down', 'up']), 'down');
  assert.is(badgeState([]), 'up');
});

test("a day's bar", () => {
  assert.is(dayBar(0, 0), 'none');
  assert.is(dayBar(86_400, 0), 'up');
  assert.is(dayBar(80_000, 6_400), 'partial');
  assert.is(dayBar(6_400, 80_000), 'down');
});

test.run();
