// An owner filled to the given limits in a few statements: `limits.bots` bots and
// `limits.schedules` weekly windows for all of them, each window running at `now` (the heaviest
// case for the maintenance question). Shared by the largest-account test and bench:owner-lag.
import { hashSecret } from '../../src/accounts/credentials.ts';
import type { Database } from '../../src/db/database.ts';
import type { Quotas } from '../../src/domain/quotas.ts';
import { createOwner } from './app.ts';

export async function fillLargestAccount(db: Database, now: Date, limits: Pick<Quotas, 'bots' | 'schedules'>) {
  const owner = await createOwner(db, { timezone: 'Europe/Berlin' });
  await db.query(
    `INSERT INTO bots (user_id, name, token_hash, token_prefix, widget_key)
     SELECT $1, 'Site ' || i, $2 || i, 'bot_' || i, 'pub_large_' || $3 || '_' || i FROM generate_series(1, $4) AS i`,
    [owner.user.id, hashSecret(`large-${owner.user.id}`), owner.user.id.slice(0, 8), limits.bots],
  );
  // Every window began an hour ago (its weekday and start in Berlin time) and lasts a day.
  const started = new Date(now.getTime() - 3_600_000);
  const local = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Berlin', weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(started);
  const part = (type: string) => local.find((p) => p.type === type)!.value;
  const weekday = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'].indexOf(part('weekday')) + 1;
  const startMinute = Number(part('hour')) * 60 + Number(part('minute'));
  await db.query(
    `INSERT INTO maintenance_schedules (user_id, bot_id, weekday, start_minute, duration_minutes, created_at)
     SELECT $1, NULL, $2, $3, 1440, $4 FROM generate_series(1, $5)`,
    [owner.user.id, weekday, startMinute, new Date(now.getTime() - 86_400_000), limits.schedules],
  );
  return owner;
}
