import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import {
  endingNoticeDue,
  maintenanceEnds,
  maintenanceUntil,
  runningOf,
  type OwnerOccurrences,
  type RunningOccurrence,
  nextWeeklyStart,
  parseMinutes,
  parseWeeklyWindow,
  weeklyOccurrenceAt,
  type WeeklyWindow,
} from '../../src/domain/maintenance.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const at = (iso: string) => new Date(iso);
const test = suite('maintenance window rules');

test('accepts 1 minute to 7 days and refuses the rest, naming the cap', () => {
  // the bounds
  assert.equal(parseMinutes(1), { ok: true, value: 1 });
  assert.equal(parseMinutes(10_080), { ok: true, value: 10_080 });
  assert.equal(parseMinutes('30'), { ok: true, value: 30 });
  // one minute over 7 days, with a message that says why
  const over = parseMinutes(10_081);
  assert.is(over.ok, false);
  assert.match(over.ok ? '' : over.message, /at most 10080 .*7 days/);
  // zero, negative, fractions, words and missing values
  for (const value of [0, -5, 1.5, 'abc', '', null, undefined, '1e3', [30]]) assert.is(parseMinutes(value).ok, false, String(value));
});

test('reads a weekly window from weekday, HH:MM and minutes', () => {
  // Sunday 02:30 for an hour
  assert.equal(parseWeeklyWindow({ weekday: 7, start: '02:30', minutes: 60 }), { ok: true, value: { weekday: 7, startMinute: 150, durationMinutes: 60 } });
  // no weekday 0 or 8, no 24:00, no window over 7 days
  assert.is(parseWeeklyWindow({ weekday: 0, start: '02:30', minutes: 60 }).ok, false);
  assert.is(parseWeeklyWindow({ weekday: 8, start: '02:30', minutes: 60 }).ok, false);
  assert.is(parseWeeklyWindow({ weekday: 1, start: '24:00', minutes: 60 }).ok, false);
  assert.is(parseWeeklyWindow({ weekday: 1, start: '9:00', minutes: 60 }).ok, false);
  assert.is(parseWeeklyWindow({ weekday: 1, start: '09:00', minutes: 10_081 }).ok, false);
});

// Berlin moves from CET (UTC+1) to CEST (UTC+2) on Sunday 29 March 2026 at 02:00 local time.
const mondayNine: WeeklyWindow = { weekday: 1, startMinute: 9 * 60, durationMinutes: 120 };

test('a weekly window keeps its local time across a DST change (Europe/Berlin, March 2026)', () => {
  // the Monday before the change: 09:00 CET = 08:00 UTC, until 10:00 UTC
  assert.equal(weeklyOccurrenceAt(mondayNine, 'Europe/Berlin', at('2026-03-23T08:30:00Z')), { startsAt: at('2026-03-23T08:00:00Z'), until: at('2026-03-23T10:00:00Z') });
  // the Monday after: 09:00 CEST = 07:00 UTC, until 09:00 UTC
  assert.equal(weeklyOccurrenceAt(mondayNine, 'Europe/Berlin', at('2026-03-30T07:15:00Z')), { startsAt: at('2026-03-30T07:00:00Z'), until: at('2026-03-30T09:00:00Z') });
  // a fixed winter offset would still call 09:30 UTC "in the window": it is over
  assert.is(weeklyOccurrenceAt(mondayNine, 'Europe/Berlin', at('2026-03-30T09:30:00Z')), undefined);
  // and would miss 06:59 UTC the other way round: not started yet
  assert.is(weeklyOccurrenceAt(mondayNine, 'Europe/Berlin', at('2026-03-30T06:59:00Z')), undefined);
});

test('a window spanning the change lasts its real minutes, and one starting in the skipped hour starts after it', () => {
  // Sunday 01:00 CET for 3 hours: 00:00 UTC to 03:00 UTC (05:00 CEST), not 04:00 local
  const overnight: WeeklyWindow = { weekday: 7, startMinute: 60, durationMinutes: 180 };
  assert.equal(weeklyOccurrenceAt(overnight, 'Europe/Berlin', at('2026-03-29T02:59:00Z')), { startsAt: at('2026-03-29T00:00:00Z'), until: at('2026-03-29T03:00:00Z') });
  // 02:30 does not exist that night: the window starts at 03:30 CEST = 01:30 UTC
  const skipped: WeeklyWindow = { weekday: 7, startMinute: 150, durationMinutes: 30 };
  assert.equal(nextWeeklyStart(skipped, 'Europe/Berlin', at('2026-03-28T12:00:00Z')), at('2026-03-29T01:30:00Z'));
  // in autumn (25 October 2026, back to CET) 02:30 happens twice: always the second one, 02:30 CET =
  // 01:30 UTC, whether asked the day before or during the first 02:00-03:00 (CEST)
  assert.equal(nextWeeklyStart(skipped, 'Europe/Berlin', at('2026-10-24T12:00:00Z')), at('2026-10-25T01:30:00Z'));
  assert.equal(nextWeeklyStart(skipped, 'Europe/Berlin', at('2026-10-25T00:10:00Z')), at('2026-10-25T01:30:00Z'));
  assert.equal(weeklyOccurrenceAt(skipped, 'Europe/Berlin', at('2026-10-25T01:45:00Z')), { startsAt: at('2026-10-25T01:30:00Z'), until: at('2026-10-25T02:00:00Z') });
});

test('a window that crosses midnight into the next week is still running', () => {
  // Sunday 23:00 UTC for 2 hours: Monday 00:30 is inside it
  const late: WeeklyWindow = { weekday: 7, startMinute: 23 * 60, durationMinutes: 120 };
  assert.equal(weeklyOccurrenceAt(late, 'UTC', at('2026-01-05T00:30:00Z')), { startsAt: at('2026-01-04T23:00:00Z'), until: at('2026-01-05T01:00:00Z') });
  // a 7-day window that began last Monday is running on Sunday evening
  const week: WeeklyWindow = { weekday: 1, startMinute: 0, durationMinutes: 10_080 };
  assert.ok(weeklyOccurrenceAt(week, 'UTC', at('2026-01-11T22:00:00Z')));
});

test('the maintenance a bot is in ends at the latest end among the windows running now', () => {
  const now = at('2026-03-23T08:30:00Z');
  // no window at all
  assert.is(maintenanceUntil({ oneOffUntil: null, weekly: [], zone: 'Europe/Berlin' }, now), null);
  // a one-off window that is over counts for nothing
  assert.is(maintenanceUntil({ oneOffUntil: at('2026-03-23T08:00:00Z'), weekly: [], zone: 'UTC' }, now), null);
  // a running one-off window
  assert.equal(maintenanceUntil({ oneOffUntil: at('2026-03-23T09:00:00Z'), weekly: [], zone: 'UTC' }, now), at('2026-03-23T09:00:00Z'));
  // one-off until 09:00 and the weekly window until 10:00 UTC: 10:00
  assert.equal(maintenanceUntil({ oneOffUntil: at('2026-03-23T09:00:00Z'), weekly: [mondayNine], zone: 'Europe/Berlin' }, now), at('2026-03-23T10:00:00Z'));
  // the same weekly window read in another zone is not running
  assert.is(maintenanceUntil({ oneOffUntil: null, weekly: [mondayNine], zone: 'America/New_York' }, now), null);
});

test('an occurrence ended early no longer counts, and the next week\'s one does (across the Berlin DST change)', () => {
  // Sundays 02:00 for 2 hours, Berlin: on 22 March 2026 that is 01:00-03:00 UTC (CET)
  const sundayTwo = { weekday: 7, startMinute: 120, durationMinutes: 120 };
  const endedAt = at('2026-03-22T01:30:00Z');
  const facts = { oneOffUntil: null, weekly: [sundayTwo], zone: 'Europe/Berlin', endedAt };
  // before the end, the occurrence ran until 03:00 UTC
  assert.equal(maintenanceUntil({ ...facts, endedAt: null }, at('2026-03-22T01:40:00Z')), at('2026-03-22T03:00:00Z'));
  // after it, the same instant is in no maintenance
  assert.is(maintenanceUntil(facts, at('2026-03-22T01:40:00Z')), null);
  assert.is(weeklyOccurrenceAt(sundayTwo, 'Europe/Berlin', at('2026-03-22T01:40:00Z'), endedAt), undefined);
  // an occurrence starting exactly at the end instant was running when it was ended: over too
  assert.is(weeklyOccurrenceAt(sundayTwo, 'Europe/Berlin', at('2026-03-22T01:40:00Z'), at('2026-03-22T01:00:00Z')), undefined);
  // next Sunday 02:00 falls in the skipped hour: it starts at 03:00 CEST (01:00 UTC) and counts again
  assert.equal(maintenanceUntil(facts, at('2026-03-29T01:30:00Z')), at('2026-03-29T03:00:00Z'));
  // a one-off window opened after the end counts as usual
  assert.equal(maintenanceUntil({ ...facts, oneOffUntil: at('2026-03-22T02:00:00Z') }, at('2026-03-22T01:40:00Z')), at('2026-03-22T02:00:00Z'));
});

test('a weekly window added after maintenance was ended counts from its first occurrence, even one already running', () => {
  // Sundays 02:00 for 2 hours, Berlin (01:00-03:00 UTC on 22 March 2026); maintenance ended at 01:30 UTC
  const sundayTwo = { weekday: 7, startMinute: 120, durationMinutes: 120 };
  const facts = { oneOffUntil: null, zone: 'Europe/Berlin', endedAt: at('2026-03-22T01:30:00Z') };
  // a window that existed when maintenance was ended stays ended for this occurrence
  assert.is(maintenanceUntil({ ...facts, weekly: [{ ...sundayTwo, createdAt: at('2026-03-01T00:00:00Z') }] }, at('2026-03-22T01:40:00Z')), null);
  // the same window added at 01:35, after the end: the owner wants this occurrence, so it counts
  assert.equal(
    maintenanceUntil({ ...facts, weekly: [{ ...sundayTwo, createdAt: at('2026-03-22T01:35:00Z') }] }, at('2026-03-22T01:40:00Z')),
    at('2026-03-22T03:00:00Z'),
  );
});

test('the "ends in a day" mail is due once, for windows longer than a day, within the last day', () => {
  const startsAt = at('2026-01-05T10:00:00Z');
  const until = new Date(startsAt.getTime() + 3 * DAY);
  // more than a day left: not yet
  assert.is(endingNoticeDue({ startsAt, until, noticeFor: null }, new Date(until.getTime() - DAY - 1000)), false);
  // a day or less left: due
  assert.is(endingNoticeDue({ startsAt, until, noticeFor: null }, new Date(until.getTime() - DAY)), true);
  // already queued for this end: not again; for an earlier end (the window was extended): again
  assert.is(endingNoticeDue({ startsAt, until, noticeFor: until }, new Date(until.getTime() - HOUR)), false);
  assert.is(endingNoticeDue({ startsAt, until, noticeFor: new Date(until.getTime() - DAY) }, new Date(until.getTime() - HOUR)), true);
  // a window of exactly a day never gets one, nor one that is over
  assert.is(endingNoticeDue({ startsAt, until: new Date(startsAt.getTime() + DAY), noticeFor: null }, new Date(startsAt.getTime() + HOUR)), false);
  assert.is(endingNoticeDue({ startsAt, until, noticeFor: null }, until), false);
});

test('many bots at once get the same answers as one bot at a time (maintenanceEnds agrees with maintenanceUntil)', () => {
  const base = at('2026-03-25T12:00:00Z').getTime();
  const instant = fc.integer({ min: -9 * DAY, max: 2 * DAY }).map((offset) => new Date(base + offset));
  const window = fc.record({
    weekday: fc.integer({ min: 1, max: 7 }),
    startMinute: fc.integer({ min: 0, max: 1439 }),
    durationMinutes: fc.integer({ min: 1, max: 10080 }),
    createdAt: instant,
  });
  const bot = fc.record({ oneOffUntil: fc.option(instant, { nil: null }), endedAt: fc.option(instant, { nil: null }), own: fc.array(window, { maxLength: 3 }) });
  fc.assert(
    fc.property(
      fc.array(window, { maxLength: 6 }),
      fc.array(bot, { minLength: 1, maxLength: 8 }),
      fc.constantFrom('UTC', 'Europe/Berlin', 'America/New_York', 'Australia/Lord_Howe'),
      fc.integer({ min: 0, max: 14 * DAY }),
      (allBots, bots, zone, offset) => {
        const now = new Date(base - 7 * DAY + offset);
        const byBot = new Map<string, RunningOccurrence[]>(bots.map((b, i) => [`bot${i}`, runningOf(b.own, zone, now)]));
        const owners = new Map<string, OwnerOccurrences>([['owner', { allBots: runningOf(allBots, zone, now), byBot }]]);
        const states = bots.map((b, i) => ({ id: `bot${i}`, ownerId: 'owner', oneOffUntil: b.oneOffUntil, endedAt: b.endedAt }));
        const together = maintenanceEnds(states, owners, now);
        bots.forEach((b, i) => {
          const alone = maintenanceUntil({ oneOffUntil: b.oneOffUntil, endedAt: b.endedAt, zone, weekly: [...allBots, ...b.own] }, now);
          assert.equal(together.get(`bot${i}`), alone);
        });
      },
    ),
    { numRuns: 150 },
  );
});

test('a bot whose owner has no windows is in maintenance only during its one-off window', () => {
  const now = at('2026-03-25T12:00:00Z');
  const ends = maintenanceEnds(
    [
      { id: 'a', ownerId: 'nobody', oneOffUntil: new Date(now.getTime() + HOUR), endedAt: null },
      { id: 'b', ownerId: 'nobody', oneOffUntil: new Date(now.getTime() - HOUR), endedAt: null },
    ],
    new Map(),
    now,
  );
  assert.equal(ends.get('a'), new Date(now.getTime() + HOUR));
  assert.is(ends.get('b'), null);
});

test.run();
