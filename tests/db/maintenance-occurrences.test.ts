// "Which weekly windows run now": one rule in the domain (luxon, runningOccurrences) and in SQL
// (PostgreSQL's zone arithmetic, selectRunningOccurrences), and a test that the two agree, across
// DST changes in both directions, half-hour shifts and 7-day windows.
import fc from 'fast-check';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Database } from '../../src/db/database.ts';
import { selectRunningOccurrences } from '../../src/db/maintenance.ts';
import { runningOccurrences, type WeeklyWindow } from '../../src/domain/maintenance.ts';
import { createOwner } from '../helpers/app.ts';
import { testDatabase } from '../helpers/database.ts';

const test = suite<{ db: Database }>('running weekly windows: one rule in the domain and in SQL');

test.before(async (ctx) => {
  ctx.db = await testDatabase();
});

const HOUR = 3_600_000;
/** DST changes (and an ordinary day) in each zone the test uses. */
const ZONES: Record<string, string[]> = {
  'Europe/Berlin': ['2026-03-29T01:00:00Z', '2026-10-25T01:00:00Z'],
  'America/New_York': ['2026-03-08T07:00:00Z', '2026-11-01T06:00:00Z'],
  'Australia/Lord_Howe': ['2026-04-04T15:00:00Z', '2026-10-03T15:30:00Z'],
  'Asia/Kolkata': ['2026-06-15T12:00:00Z'],
};

test('for random windows and instants near DST changes, SQL runs exactly the occurrences luxon runs', async ({ db }) => {
  const window = fc.record({
    weekday: fc.integer({ min: 1, max: 7 }),
    startMinute: fc.oneof(fc.integer({ min: 0, max: 1439 }), fc.constantFrom(120, 150, 180, 0, 1425)),
    durationMinutes: fc.oneof(fc.integer({ min: 1, max: 10080 }), fc.constantFrom(60, 1440, 10080)),
  });
  const windows: WeeklyWindow[] = fc.sample(window, { numRuns: 80, seed: 20261204 });
  let compared = 0;
  for (const [zone, changes] of Object.entries(ZONES)) {
    const { user } = await createOwner(db, { timezone: zone });
    for (const w of windows) {
      await db.query('INSERT INTO maintenance_schedules (user_id, weekday, start_minute, duration_minutes, created_at) VALUES ($1, $2, $3, $4, now())', [
        user.id,
        w.weekday,
        w.startMinute,
        w.durationMinutes,
      ]);
    }
    const instants = changes.flatMap((change) => [-49, -25, -2, -1, 0, 0.5, 1, 2, 24, 25, 73, 170].map((hours) => new Date(new Date(change).getTime() + hours * HOUR)));
    for (const now of instants) {
      const sql = (await selectRunningOccurrences(db, now, [user.id], []))
        .map((row) => `${row.starts_at.toISOString()}/${row.until.toISOString()}`)
        .sort();
      const domain = windows
        .flatMap((w) => runningOccurrences(w, zone, now))
        .map((occurrence) => `${occurrence.startsAt.toISOString()}/${occurrence.until.toISOString()}`)
        .sort();
      // the same running occurrences, to the millisecond
      assert.equal(sql, domain, `${zone} at ${now.toISOString()}`);
      compared += sql.length;
    }
  }
  // and the comparison was not between two empty lists
  assert.ok(compared > 100, `${compared} occurrences compared`);
});

test.run();
