// Upgrading a database filled before the history was partitioned (sql/190_history_partitions.sql):
// every row is kept where the code finds it, the old table becomes the partition of everything
// before, and the keys that mattered (one hourly count per bot and hour, one mail per dedupe key,
// one probe per silence and per reminder, event ids) still hold across old and new partitions.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { listConnectionEvents } from '../../src/db/bots.ts';
import { listHeartbeatHours } from '../../src/db/bot-changes.ts';
import type { Database } from '../../src/db/database.ts';
import { listPartitions, maintainHistoryPartitions } from '../../src/db/history-partitions.ts';
import { migrate, readMigrationFiles } from '../../src/db/migrate.ts';
import { enqueueMail } from '../../src/db/outbox.ts';
import { insertProbes } from '../../src/db/probes.ts';
import { freshDatabase } from '../helpers/database.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const TABLES = ['heartbeat_hours', 'connection_events', 'site_probes', 'alert_outbox', 'alert_episodes', 'alert_notifications'] as const;

interface Ctx {
  db: Database;
  botId: string;
  episodeId: number;
  lastActivity: Date;
  before: Record<string, unknown[]>;
  now: Date;
}

const test = suite<Ctx>('migration 190: history partitioned by time, on a database filled the old way');

const hourOf = (at: number) => new Date(Math.floor(at / HOUR) * HOUR);
const everyRow = async (db: Database, table: string) => (await db.query(`SELECT * FROM ${table} ORDER BY 1, 2`)).rows;

test.before(async (ctx) => {
  ctx.db = await freshDatabase();
  const files = readMigrationFiles();
  await migrate(ctx.db, files.filter((file) => file.name < '190'));
  const db = ctx.db;
  ctx.now = new Date();
  const now = ctx.now.getTime();
  const { rows: users } = await db.query<{ id: string }>("INSERT INTO users (email, password_hash) VALUES ('history@example.test', 'x') RETURNING id");
  const { rows: bots } = await db.query<{ id: string }>(
    "INSERT INTO bots (user_id, name, token_hash, token_prefix, widget_key) VALUES ($1, 'Old bot', 'hash-history', 'bot_hist', 'widget-history') RETURNING id",
    [users[0]!.id],
  );
  ctx.botId = bots[0]!.id;
  ctx.lastActivity = new Date(now - 40 * DAY);
  // hourly counts: now, three days ago, ten days ago (past the eight days: the old pruning would have taken it)
  for (const at of [now, now - 3 * DAY, now - 10 * DAY]) {
    await db.query('INSERT INTO heartbeat_hours (bot_id, hour, count) VALUES ($1, $2, 7)', [ctx.botId, hourOf(at)]);
  }
  // the flip to stale forty days ago, its episode, a probe for that silence and one for a reminder
  const { rows: events } = await db.query<{ id: number }>(
    `INSERT INTO connection_events (bot_id, occurred_at, kind, from_status, to_status, reason)
     VALUES ($1, $2, 'status', 'connected', 'stale', 'no_heartbeat') RETURNING id`,
    [ctx.botId, new Date(now - 40 * DAY + HOUR)],
  );
  ctx.episodeId = events[0]!.id;
  await db.query('INSERT INTO alert_episodes (id, bot_id, opened_at, last_seen_at) VALUES ($1, $2, $3, $4)', [ctx.episodeId, ctx.botId, new Date(now - 40 * DAY + HOUR), ctx.lastActivity]);
  await db.query(
    `INSERT INTO site_probes (bot_id, purpose, last_activity, episode_id, reminder, status, next_attempt_at, created_at) VALUES
     ($1, 'deadline', $2, NULL, NULL, 'done', $3, $3), ($1, 'reminder', $2, $4, 1, 'done', $5, $5)`,
    [ctx.botId, ctx.lastActivity, new Date(now - 2 * HOUR), ctx.episodeId, new Date(now - HOUR)],
  );
  // a mail sent for the episode (with its notification) and one still to send
  const { rows: mails } = await db.query<{ id: number }>(
    `INSERT INTO alert_outbox (dedupe_key, kind, user_id, payload, status, next_attempt_at, created_at, sent_at) VALUES
     ('stale:history', 'stale', $1, '{"sites": []}', 'sent', $2, $2, $2), ('recovery:history', 'recovery', $1, '{"sites": []}', 'pending', $2, $2, NULL)
     RETURNING id`,
    [users[0]!.id, new Date(now - 40 * DAY + 2 * HOUR)],
  );
  await db.query("INSERT INTO alert_notifications (dedupe_key, kind, bot_id, episode_id, outbox_id) VALUES ('n:stale:history', 'stale', $1, $2, $3)", [
    ctx.botId,
    ctx.episodeId,
    mails[0]!.id,
  ]);
  ctx.before = {};
  for (const table of TABLES) ctx.before[table] = await everyRow(db, table);
  await migrate(db, files);
});

test.after(async (ctx) => {
  await ctx.db.close();
});

test('every row is kept, column for column', async (ctx) => {
  for (const table of TABLES) assert.equal(await everyRow(ctx.db, table), ctx.before[table], table);
});

test('each table is partitioned, its old rows in one partition of everything before, with a default partition beside it', async (ctx) => {
  for (const table of ['heartbeat_hours', 'connection_events', 'site_probes', 'alert_outbox']) {
    const { rows } = await ctx.db.query<{ kind: string; partitions: string[] }>(
      `SELECT c.relkind::text AS kind, array(SELECT p.relname::text FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhrelid
                                        WHERE i.inhparent = c.oid AND p.relkind = 'r' ORDER BY 1) AS partitions
       FROM pg_class c WHERE c.oid = $1::regclass`,
      [table],
    );
    assert.is(rows[0]!.kind, 'p', `${table} is partitioned`);
    assert.is(rows[0]!.partitions.length, 2, `${table}: ${rows[0]!.partitions.join(', ')}`);
    assert.ok(rows[0]!.partitions.includes(`${table}_default`));
    const [before] = await listPartitions(ctx.db, table);
    // the old rows' partition ends after the newest of them and after the upgrade's day
    assert.is(before!.from, null);
    assert.ok(before!.to.getTime() > ctx.now.getTime());
  }
});

test("the code's reads find the old rows", async (ctx) => {
  const events = await listConnectionEvents(ctx.db, ctx.botId);
  assert.equal(events.map((e) => e.id), [ctx.episodeId]);
  const hours = await listHeartbeatHours(ctx.db, ctx.botId, new Date(ctx.now.getTime() - 7 * DAY));
  assert.equal(hours.map((h) => h.count), [7, 7]);
});

test('one hourly count per bot and hour: a heartbeat in an hour counted before the upgrade adds to it', async (ctx) => {
  const hour = hourOf(ctx.now.getTime());
  await ctx.db.query(
    'INSERT INTO heartbeat_hours (bot_id, hour, count) VALUES ($1, $2, 1) ON CONFLICT (bot_id, hour) DO UPDATE SET count = heartbeat_hours.count + 1',
    [ctx.botId, hour],
  );
  const { rows } = await ctx.db.query<{ count: number }>('SELECT count FROM heartbeat_hours WHERE bot_id = $1 AND hour = $2', [ctx.botId, hour]);
  assert.equal(rows, [{ count: 8 }]);
});

test('a mail whose dedupe key was queued before the upgrade is not queued again; a new key is', async (ctx) => {
  const again = await ctx.db.transaction((tx) =>
    enqueueMail(tx, { dedupeKey: 'stale:history', kind: 'stale', userId: (ctx.before.alert_outbox![0] as { user_id: string }).user_id, payload: { sites: [] }, status: 'pending', now: new Date() }),
  );
  assert.is(again, undefined);
  const fresh = await ctx.db.transaction((tx) =>
    enqueueMail(tx, { dedupeKey: 'stale:history-2', kind: 'stale', userId: (ctx.before.alert_outbox![0] as { user_id: string }).user_id, payload: { sites: [] }, status: 'pending', now: new Date() }),
  );
  // and its id continues the old sequence
  const oldIds = ctx.before.alert_outbox!.map((row) => Number((row as { id: number }).id));
  assert.ok(fresh !== undefined && fresh > Math.max(...oldIds));
});

test('a probe for a silence or a reminder probed before the upgrade is not queued again', async (ctx) => {
  const queued = await ctx.db.transaction(async (tx) => [
    ...(await insertProbes(tx, 'deadline', [{ botId: ctx.botId, lastActivity: ctx.lastActivity, url: null }], null, new Date())),
    ...(await insertProbes(tx, 'reminder', [{ botId: ctx.botId, lastActivity: ctx.lastActivity, url: null, episodeId: ctx.episodeId, reminder: 1 }], null, new Date())),
  ]);
  assert.equal(queued, []);
});

test('deleting a mail still takes its notifications along', async (ctx) => {
  await ctx.db.query("DELETE FROM alert_outbox WHERE dedupe_key = 'stale:history'");
  const { rows } = await ctx.db.query("SELECT 1 FROM alert_notifications WHERE dedupe_key = 'n:stale:history'");
  assert.is(rows.length, 0);
});

test('pruning deletes old hours from the partition of old rows until its last day passes retention, then drops it whole', async (ctx) => {
  const first = await maintainHistoryPartitions(ctx.db, ctx.now);
  // the ten-day-old hour went the old way; today's and three days ago stay
  assert.is(first.failed.length, 0, JSON.stringify(first.failed));
  const { rows } = await ctx.db.query<{ n: number }>('SELECT count(*)::int AS n FROM heartbeat_hours WHERE bot_id = $1', [ctx.botId]);
  assert.is(rows[0]!.n, 2);
  const [before] = await listPartitions(ctx.db, 'heartbeat_hours');
  const later = await maintainHistoryPartitions(ctx.db, new Date(before!.to.getTime() + 8 * DAY));
  assert.ok(later.dropped.includes(before!.name), later.dropped.join(', '));
  // connection events and mails are kept (as long as their bot, their account)
  assert.ok(later.dropped.every((name) => name.startsWith('heartbeat_hours') || name.startsWith('site_probes')));
  const { rows: events } = await ctx.db.query('SELECT 1 FROM connection_events WHERE bot_id = $1', [ctx.botId]);
  assert.is(events.length, 1);
});

test('deleting the bot deletes its history in every partition', async (ctx) => {
  await ctx.db.query('DELETE FROM bots WHERE id = $1', [ctx.botId]);
  for (const table of ['heartbeat_hours', 'connection_events', 'site_probes', 'alert_episodes', 'alert_notifications']) {
    const { rows } = await ctx.db.query(`SELECT 1 FROM ${table} WHERE bot_id = $1`, [ctx.botId]);
    assert.is(rows.length, 0, table);
  }
});

test.run();
