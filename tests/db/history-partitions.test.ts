// The history tables' partitions (src/db/history-partitions.ts): created ahead of time, an insert
// lands somewhere whatever its time, pruning drops whole partitions past retention and keeps the
// newer ones, and the keys that no unique index spans any more still hold across partitions.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Database } from '../../src/db/database.ts';
import { maintainHistoryPartitions } from '../../src/db/history-partitions.ts';
import { migrate } from '../../src/db/migrate.ts';
import { enqueueMail } from '../../src/db/outbox.ts';
import { insertProbes } from '../../src/db/probes.ts';
import { freshDatabase } from '../helpers/database.ts';

const DAY = 86_400_000;
const NOW = new Date('2026-03-10T12:00:00Z');

interface Ctx {
  db: Database;
  userId: string;
  botId: string;
}

const test = suite<Ctx>('history partitions');

test.before(async (ctx) => {
  ctx.db = await freshDatabase();
  await migrate(ctx.db);
  const { rows: users } = await ctx.db.query<{ id: string }>("INSERT INTO users (email, password_hash) VALUES ('partitions@example.test', 'x') RETURNING id");
  ctx.userId = users[0]!.id;
  const { rows: bots } = await ctx.db.query<{ id: string }>(
    "INSERT INTO bots (user_id, name, token_hash, token_prefix, widget_key) VALUES ($1, 'Partitioned', 'hash-partitions', 'bot_part', 'widget-partitions') RETURNING id",
    [ctx.userId],
  );
  ctx.botId = bots[0]!.id;
});

test.after(async (ctx) => {
  await ctx.db.close();
});

const countAt = (db: Database, botId: string, hour: string) =>
  db.query<{ partition: string }>('INSERT INTO heartbeat_hours (bot_id, hour, count) VALUES ($1, $2, 1) RETURNING tableoid::regclass::text AS partition', [botId, hour]);

const hoursIn = async (db: Database) =>
  (await db.query<{ hour: Date; partition: string }>('SELECT hour, tableoid::regclass::text AS partition FROM heartbeat_hours ORDER BY hour')).rows.map((r) => [
    r.hour.toISOString(),
    r.partition,
  ]);

test('an insert before any dated partition exists lands in the default partition, and moves into its day when that is created', async (ctx) => {
  const { rows } = await countAt(ctx.db, ctx.botId, '2026-03-12T05:00:00Z');
  assert.is(rows[0]!.partition, 'heartbeat_hours_default');
  // a mail queued then too, with the notification it carries
  const { rows: events } = await ctx.db.query<{ id: number }>(
    "INSERT INTO connection_events (bot_id, occurred_at, kind, from_status, to_status, reason) VALUES ($1, $2, 'status', 'connected', 'stale', 'no_heartbeat') RETURNING id",
    [ctx.botId, NOW],
  );
  await ctx.db.query('INSERT INTO alert_episodes (id, bot_id, opened_at, last_seen_at) VALUES ($1, $2, $3, $3)', [events[0]!.id, ctx.botId, NOW]);
  const mail = await ctx.db.transaction((tx) => enqueueMail(tx, { dedupeKey: 'stale:moved', kind: 'stale', userId: ctx.userId, payload: { sites: [] }, status: 'pending', now: NOW }));
  await ctx.db.query("INSERT INTO alert_notifications (dedupe_key, kind, bot_id, episode_id, outbox_id) VALUES ('n:moved', 'stale', $1, $2, $3)", [ctx.botId, events[0]!.id, mail]);
  const result = await maintainHistoryPartitions(ctx.db, NOW);
  assert.equal(result.failed, []);
  // the current period and those ahead: days for the hourly counts and probes, months for events and mails
  assert.equal(result.created, [
    'heartbeat_hours_p20260310',
    'heartbeat_hours_p20260311',
    'heartbeat_hours_p20260312',
    'heartbeat_hours_p20260313',
    'site_probes_p20260310',
    'site_probes_p20260311',
    'site_probes_p20260312',
    'site_probes_p20260313',
    'connection_events_p202603',
    'connection_events_p202604',
    'alert_outbox_p202603',
    'alert_outbox_p202604',
  ]);
  assert.equal(await hoursIn(ctx.db), [['2026-03-12T05:00:00.000Z', 'heartbeat_hours_p20260312']]);
  // the mail moved into its month, its notification with it (moving is not deleting)
  const { rows: moved } = await ctx.db.query<{ partition: string; notifications: number }>(
    `SELECT o.tableoid::regclass::text AS partition, (SELECT count(*)::int FROM alert_notifications n WHERE n.outbox_id = o.id) AS notifications
     FROM alert_outbox o WHERE o.dedupe_key = 'stale:moved'`,
  );
  assert.equal(moved, [{ partition: 'alert_outbox_p202603', notifications: 1 }]);
  const { rows: event } = await ctx.db.query<{ partition: string }>('SELECT tableoid::regclass::text AS partition FROM connection_events WHERE id = $1', [events[0]!.id]);
  assert.equal(event, [{ partition: 'connection_events_p202603' }]);
  // a second run has nothing to do
  const again = await maintainHistoryPartitions(ctx.db, NOW);
  assert.equal([again.created, again.dropped, again.failed], [[], [], []]);
});

test('inserts at the edges of a day and far outside the partitions all land somewhere', async (ctx) => {
  const landed: Array<[string, string]> = [];
  for (const hour of ['2026-03-10T00:00:00Z', '2026-03-10T23:00:00Z', '2026-03-11T00:00:00Z', '2026-03-13T23:00:00Z', '2026-03-14T00:00:00Z', '2100-01-01T00:00:00Z', '1990-01-01T00:00:00Z']) {
    const { rows } = await countAt(ctx.db, ctx.botId, hour);
    landed.push([hour, rows[0]!.partition]);
  }
  assert.equal(landed, [
    ['2026-03-10T00:00:00Z', 'heartbeat_hours_p20260310'],
    ['2026-03-10T23:00:00Z', 'heartbeat_hours_p20260310'],
    ['2026-03-11T00:00:00Z', 'heartbeat_hours_p20260311'],
    ['2026-03-13T23:00:00Z', 'heartbeat_hours_p20260313'],
    ['2026-03-14T00:00:00Z', 'heartbeat_hours_default'],
    ['2100-01-01T00:00:00Z', 'heartbeat_hours_default'],
    ['1990-01-01T00:00:00Z', 'heartbeat_hours_default'],
  ]);
  // monthly: the last millisecond of March and the first of April
  const { rows } = await ctx.db.query<{ partition: string }>(
    `INSERT INTO connection_events (bot_id, occurred_at, kind, reason) VALUES
     ($1, '2026-03-31T23:59:59.999Z', 'site_url_changed', 'edge'), ($1, '2026-04-01T00:00:00Z', 'site_url_changed', 'edge')
     RETURNING tableoid::regclass::text AS partition`,
    [ctx.botId],
  );
  assert.equal(rows.map((r) => r.partition), ['connection_events_p202603', 'connection_events_p202604']);
});

test('a dedupe key queued in an earlier month is not queued again, and two instances queueing one key at once queue it once', async (ctx) => {
  const mail = (dedupeKey: string, now: Date) => ({ dedupeKey, kind: 'stale' as const, userId: ctx.userId, payload: { sites: [] }, status: 'pending' as const, now });
  const first = await ctx.db.transaction((tx) => enqueueMail(tx, mail('stale:partitions', new Date('2026-03-20T00:00:00Z'))));
  assert.ok(first !== undefined);
  const nextMonth = await ctx.db.transaction((tx) => enqueueMail(tx, mail('stale:partitions', new Date('2026-04-20T00:00:00Z'))));
  assert.is(nextMonth, undefined);
  // at once: the first transaction holds its row uncommitted while the second tries
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  const one = ctx.db.transaction(async (tx) => {
    const id = await enqueueMail(tx, mail('stale:race', new Date('2026-03-21T00:00:00Z')));
    await held;
    return id;
  });
  await new Promise((resolve) => setTimeout(resolve, 100));
  const two = ctx.db.transaction((tx) => enqueueMail(tx, mail('stale:race', new Date('2026-04-21T00:00:00Z'))));
  await new Promise((resolve) => setTimeout(resolve, 200));
  release();
  const ids = await Promise.all([one, two]);
  assert.ok(ids[0] !== undefined);
  assert.is(ids[1], undefined);
  const { rows } = await ctx.db.query<{ n: number }>("SELECT count(*)::int AS n FROM alert_outbox WHERE dedupe_key = 'stale:race'");
  assert.is(rows[0]!.n, 1);
});

test('a probe for the same silence queued on another day is not queued again', async (ctx) => {
  const silence = new Date('2026-03-11T23:50:00Z');
  const probe = { botId: ctx.botId, lastActivity: silence, url: null };
  const queue = (now: Date) => ctx.db.transaction((tx) => insertProbes(tx, 'deadline', [probe, probe], null, now));
  // twice in one batch: once
  assert.is((await queue(new Date('2026-03-11T23:59:00Z'))).length, 1);
  // the next day's partition, a minute later
  assert.equal(await queue(new Date('2026-03-12T00:01:00Z')), []);
  const { rows } = await ctx.db.query<{ partition: string }>('SELECT tableoid::regclass::text AS partition FROM site_probes WHERE bot_id = $1', [ctx.botId]);
  assert.equal(rows, [{ partition: 'site_probes_p20260311' }]);
});

test('pruning drops the days past retention whole, keeps the newer ones, and deletes what the default partition holds past it', async (ctx) => {
  // eight days after 2026-03-11 12:00: the 10th is past retention, the 11th (up to 12:00 of it) not yet
  const later = new Date('2026-03-19T12:00:00Z');
  const result = await maintainHistoryPartitions(ctx.db, later);
  assert.equal(result.failed, []);
  assert.equal(result.dropped, ['heartbeat_hours_p20260310', 'site_probes_p20260310']);
  // the 1990 hour went from the default partition row by row
  assert.is(result.deletedRows, 1);
  const hours = (await hoursIn(ctx.db)).map(([hour]) => hour!);
  assert.equal(hours.slice(0, 2), ['2026-03-11T00:00:00.000Z', '2026-03-12T05:00:00.000Z']);
  assert.not.ok(hours.some((hour) => hour.startsWith('2026-03-10') || hour.startsWith('1990')));
  // partitions are created for the current day and those ahead, never for a past one: the 14th,
  // inserted before it had a partition, stays in the default partition until retention
  assert.equal(result.created.filter((name) => name.startsWith('heartbeat_hours')), [
    'heartbeat_hours_p20260319',
    'heartbeat_hours_p20260320',
    'heartbeat_hours_p20260321',
    'heartbeat_hours_p20260322',
  ]);
  const { rows } = await ctx.db.query<{ partition: string }>("SELECT tableoid::regclass::text AS partition FROM heartbeat_hours WHERE hour = '2026-03-14T00:00:00Z'");
  assert.is(rows[0]!.partition, 'heartbeat_hours_default');
  // connection events and mails are never dropped, however old
  const years = await maintainHistoryPartitions(ctx.db, new Date('2030-01-01T00:00:00Z'));
  assert.not.ok(years.dropped.some((name) => name.startsWith('connection_events') || name.startsWith('alert_outbox')));
  const { rows: events } = await ctx.db.query("SELECT 1 FROM connection_events WHERE reason = 'edge'");
  assert.is(events.length, 2);
});

test.run();
