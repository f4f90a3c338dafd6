import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  flipBatches,
  incidentEnds,
  isPermanentSendFailure,
  isStale,
  isStorm,
  mayNotify,
  reminderDue,
  resumesAfterDowntime,
  retryDelayMs,
  staleAt,
  staleCandidateCutoff,
} from '../../src/domain/alert-rules.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const T = new Date('2026-01-05T10:00:00Z');
const at = (ms: number) => new Date(T.getTime() + ms);

const test = suite('alert rules');

test('counts a bot stale only once now − max(last activity, ingest resumed) exceeds stale_after plus its grace', () => {
  const bot = { lastActivity: T, graceSeconds: 60 };
  // 10 min + 60 s grace
  assert.is(isStale(bot, 10 * MINUTE, undefined, at(11 * MINUTE)), false);
  assert.is(isStale(bot, 10 * MINUTE, undefined, at(11 * MINUTE + 1)), true);
  // after our restart at T+1h the clock starts again from there
  assert.is(isStale(bot, 10 * MINUTE, at(HOUR), at(HOUR + 5 * MINUTE)), false);
  assert.equal(staleAt(bot, 10 * MINUTE, at(HOUR)), at(HOUR + 11 * MINUTE));
  // and the indexed pre-filter returns nothing at all while our own uptime is too short
  assert.is(staleCandidateCutoff(10 * MINUTE, at(HOUR), at(HOUR + 5 * MINUTE)), undefined);
  assert.equal(staleCandidateCutoff(10 * MINUTE, undefined, at(HOUR)), at(50 * MINUTE));
});

test('calls a storm only above the fraction and at or above the minimum', () => {
  // 30 of 40 with min 20: storm
  assert.is(isStorm({ newlyStale: 30, connectedBefore: 40, fraction: 0.5, min: 20 }), true);
  // exactly half is not more than half
  assert.is(isStorm({ newlyStale: 20, connectedBefore: 40, fraction: 0.5, min: 20 }), false);
  // all of a small fleet is not a storm
  assert.is(isStorm({ newlyStale: 19, connectedBefore: 19, fraction: 0.5, min: 20 }), false);
});

test('cuts the flips into batches of at most the given size, in last-activity order', () => {
  const at = (minute: number) => ({ id: `bot-${minute}`, lastActivity: new Date(Date.UTC(2026, 0, 5, 10, minute)) });
  const batches = flipBatches([at(4), at(1), at(3), at(0), at(2)], 2);
  // oldest first, two per batch, the last one shorter
  assert.equal(batches.map((batch) => batch.map((bot) => bot.id)), [['bot-0', 'bot-1'], ['bot-2', 'bot-3'], ['bot-4']]);
  // nothing to flip is no batch at all
  assert.equal(flipBatches([], 100), []);
  // a size that cannot make progress is refused
  assert.throws(() => flipBatches([at(0)], 0), /positive integer/);
});

test('ends an incident at the first calm sweep a stale_after after the last storm', () => {
  // too early: it stays open; a full stale_after after the last storm: it ends
  assert.is(incidentEnds(T, 10 * MINUTE, at(9 * MINUTE)), false);
  assert.is(incidentEnds(T, 10 * MINUTE, at(10 * MINUTE)), true);
});

test('schedules reminders every repeat for 7 days, and never a backlog', () => {
  // nothing before the first repeat
  assert.equal(reminderDue(T, 0, at(DAY - 1), DAY), { send: null, nextAt: at(DAY) });
  // the first at 24 h, the next due a day later
  assert.equal(reminderDue(T, 0, at(DAY), DAY), { send: 1, nextAt: at(2 * DAY) });
  // three days missed: only the third is sent
  assert.equal(reminderDue(T, 0, at(3 * DAY + HOUR), DAY), { send: 3, nextAt: at(4 * DAY) });
  // the seventh is the last
  assert.equal(reminderDue(T, 6, at(7 * DAY), DAY), { send: 7, nextAt: null });
  assert.equal(reminderDue(T, 7, at(30 * DAY), DAY), { send: null, nextAt: null });
});

test('mails nobody about muted or disabled bots or for owners who unsubscribed', () => {
  const base = { botActive: true, mutedUntil: null, ownerAlertEmails: true };
  assert.is(mayNotify(base, T), true);
  // a mute that has not ended yet
  assert.is(mayNotify({ ...base, mutedUntil: at(1) }, T), false);
  assert.is(mayNotify({ ...base, mutedUntil: T }, T), true);
  assert.is(mayNotify({ ...base, botActive: false }, T), false);
  assert.is(mayNotify({ ...base, ownerAlertEmails: false }, T), false);
});

test('backs off exponentially from 30 s to at most an hour, and treats only SMTP 5xx as permanent', () => {
  assert.equal([1, 2, 3, 4].map(retryDelayMs), [30_000, 60_000, 120_000, 240_000]);
  assert.is(retryDelayMs(20), HOUR);
  assert.is(isPermanentSendFailure({ responseCode: 550 }), true);
  // a greylisting 4xx or a refused connection is worth retrying
  assert.is(isPermanentSendFailure({ responseCode: 451 }), false);
  assert.is(isPermanentSendFailure({}), false);
});

test('sees downtime when the last alive stamp is missing or older than the allowed gap', () => {
  assert.is(resumesAfterDowntime(undefined, T, MINUTE), true);
  assert.is(resumesAfterDowntime(at(-MINUTE), T, MINUTE), false);
  assert.is(resumesAfterDowntime(at(-MINUTE - 1), T, MINUTE), true);
});

test.run();
