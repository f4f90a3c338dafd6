// Benchmark for docs/SCALING.md "History partitioned by time": the hourly heartbeat counts of
// BENCH_BOTS bots (default 1,000,000) for BENCH_HOURS hours of one day (default 6, so that a
// million bots fit in ten minutes here; a full day is 24) plus one hour of the next day, stored
// twice on the same data in one scratch database:
//   - the table as it was before partitioning (sql/001 + sql/090: one table, fillfactor 50, primary
//     key and the index on `hour` its DELETE pruning used), pruned by that DELETE, then VACUUM;
//   - the partitioned heartbeat_hours of today's migrations, pruned by maintainHistoryPartitions
//     (a DROP of the day's partition).
// The database is first filled as it was before partitioning (with one connection event per bot)
// and upgraded by migration 190, which is timed too.
// Prints both tables' sizes, each pruning's time and WAL, and the ratios.
//
// Without DATABASE_URL it runs on an embedded PostgreSQL of its own (a throw-away DATA_DIR, unix
// socket only), so no other client's WAL counts; with it, on a scratch database of that server,
// which must be local (127.0.0.1): it writes millions of rows.
//
//   npm run bench:history
//   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npm run bench:history
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Database } from '../src/db/database.ts';
import { startEmbeddedPostgres } from '../src/db/embedded-postgres.ts';
import { listPartitions, maintainHistoryPartitions } from '../src/db/history-partitions.ts';
import { migrate, readMigrationFiles } from '../src/db/migrate.ts';
import { openPgDatabase } from '../src/db/pg-driver.ts';
import { HEARTBEAT_HISTORY_DAYS } from '../src/domain/retention.ts';
import { openScratchDatabase } from './scratch-database.ts';

async function openDatabase(): Promise<{ db: Database; where: string; close(): Promise<void> }> {
  const serverUrl = process.env.DATABASE_URL;
  if (serverUrl) {
    const host = new URL(serverUrl).hostname;
    if (!['127.0.0.1', 'localhost', '[::1]'].includes(host)) {
      console.error(`bench:history runs only on a local PostgreSQL (127.0.0.1), not ${host}`);
      process.exit(2);
    }
    const scratch = await openScratchDatabase(serverUrl);
    const version = (await scratch.db.query<{ v: string }>('SELECT current_setting($$server_version$$) AS v')).rows[0]!.v;
    return { db: scratch.db, where: `PostgreSQL ${version} of DATABASE_URL (WAL counts every client of that server)`, close: () => scratch.drop() };
  }
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-history-'));
  const server = await startEmbeddedPostgres({ dataDir });
  const db = openPgDatabase({ connectionString: server.url, poolSize: 2 });
  return {
    db,
    where: 'embedded PostgreSQL 18 of its own',
    async close() {
      await db.close();
      await server.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
const botCount = Number(process.env.BENCH_BOTS ?? 1_000_000);
const hours = Number(process.env.BENCH_HOURS ?? 6);
const DAY = 86_400_000;
const dayA = new Date('2026-06-01T00:00:00Z');
const dayB = new Date(dayA.getTime() + DAY);

const opened = await openDatabase();
const db = opened.db;

const time = async <T>(label: string, fn: () => Promise<T>): Promise<{ ms: number; result: T }> => {
  const started = performance.now();
  const result = await fn();
  const ms = performance.now() - started;
  console.log(`${label.padEnd(60)} ${(ms / 1000).toFixed(2).padStart(8)} s`);
  return { ms, result };
};
const walNow = async () => (await db.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn')).rows[0]!.lsn;
const walSince = async (lsn: string) => Number((await db.query<{ b: string }>('SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), $1)::text AS b', [lsn])).rows[0]!.b);
/** Heap, indexes and TOAST of a table, or of every partition of a partitioned one. */
const sizeOf = async (table: string) => {
  const { rows } = await db.query<{ b: string }>(
    `SELECT CASE WHEN c.relkind = 'p' THEN (SELECT sum(pg_total_relation_size(t.relid)) FROM pg_partition_tree(c.oid) t)
                 ELSE pg_total_relation_size(c.oid) END::text AS b
     FROM pg_class c WHERE c.oid = $1::regclass`,
    [table],
  );
  return Number(rows[0]!.b);
};
const mb = (bytes: number) => `${(bytes / 1048576).toFixed(0)} MB`;

try {
  console.log(
    `bench:history: ${botCount} bots, ${hours} hours on ${dayA.toISOString().slice(0, 10)} + 1 hour the next day; ${opened.where}; load average ${os.loadavg()[0]!.toFixed(1)}`,
  );
  // First the database as it was before partitioning (migrations up to 180), filled, then upgraded
  // in place by migration 190: how long an upgrade at this size blocks the start.
  const files = readMigrationFiles();
  await migrate(db, files.filter((file) => file.name < '190'));
  // The bots' search copy and fleet counts are not what this measures: their triggers are off here.
  await db.exec('ALTER TABLE bots DISABLE TRIGGER USER');
  await time(`seed ${botCount} bots`, async () => {
    await db.query("INSERT INTO users (email, password_hash) VALUES ('history@bench.test', 'x')");
    await db.query(
      `INSERT INTO bots (user_id, name, token_hash, token_prefix, widget_key)
       SELECT (SELECT id FROM users), 'Bot ' || i, md5(i::text), 'bot_x', 'pub_' || md5(i::text) FROM generate_series(1, $1) i`,
      [botCount],
    );
  });

  // Rows in key order; foreign keys are not checked while filling (the rows satisfy them by construction).
  const filled = (sql: string, params: unknown[] = []) =>
    db.transaction(async (tx) => {
      await tx.query('SET LOCAL session_replication_role = replica');
      await tx.query(sql, params);
    });
  await time(`fill heartbeat_hours as before partitioning (${botCount * (hours + 1)} rows), one event per bot`, async () => {
    await filled(
      `INSERT INTO heartbeat_hours (bot_id, hour, count)
       SELECT b.id, h, 12 FROM (SELECT id FROM bots ORDER BY id) b,
            LATERAL (SELECT $1::timestamptz + n * interval '1 hour' AS h FROM generate_series(0, $2 - 1) n
                     UNION ALL SELECT $3::timestamptz) hs
       ORDER BY b.id, h`,
      [dayA, hours, dayB],
    );
    await filled(
      `INSERT INTO connection_events (bot_id, occurred_at, kind, from_status, to_status, reason)
       SELECT id, $1, 'status', 'never', 'connected', 'heartbeat' FROM bots ORDER BY id`,
      [dayA],
    );
  });
  // The same rows, kept in the layout as before for the DELETE below.
  await time('copy them to a table of the same layout', async () => {
    await db.exec(`CREATE TABLE heartbeat_hours_unpartitioned (LIKE heartbeat_hours INCLUDING ALL) WITH (fillfactor = 50)`);
    await db.exec('ALTER TABLE heartbeat_hours_unpartitioned ADD FOREIGN KEY (bot_id) REFERENCES bots (id) ON DELETE CASCADE');
    await filled('INSERT INTO heartbeat_hours_unpartitioned SELECT * FROM heartbeat_hours ORDER BY bot_id, hour');
  });
  await db.exec('VACUUM ANALYZE heartbeat_hours');
  await time('upgrade in place: migration 190', () => migrate(db, files));

  // The upgraded table holds these rows in its partition of everything before; for the DROP below
  // they go into day partitions, as a service writing them day after day would have put them.
  await time('move them into day partitions (for the measurement)', async () => {
    const [before] = await listPartitions(db, 'heartbeat_hours');
    await db.exec(`DROP TABLE ${before!.name}`);
    await maintainHistoryPartitions(db, new Date(dayA.getTime() + DAY / 2));
    await filled('INSERT INTO heartbeat_hours SELECT * FROM heartbeat_hours_unpartitioned ORDER BY bot_id, hour');
  });
  await time('VACUUM ANALYZE both', async () => {
    await db.exec('VACUUM ANALYZE heartbeat_hours');
    await db.exec('VACUUM ANALYZE heartbeat_hours_unpartitioned');
  });

  const sizes = { before: await sizeOf('heartbeat_hours_unpartitioned'), partitioned: await sizeOf('heartbeat_hours') };
  const dayPartition = await sizeOf('heartbeat_hours_p20260601');
  console.log(`size: unpartitioned ${mb(sizes.before)}, partitioned ${mb(sizes.partitioned)} (the pruned day's partition ${mb(dayPartition)})`);

  // Pruning one day past retention, the way each layout does it. A checkpoint first, so both pay
  // the same full-page images.
  const now = new Date(dayB.getTime() + HEARTBEAT_HISTORY_DAYS * DAY);
  await db.exec('CHECKPOINT');
  let lsn = await walNow();
  const del = await time('before: DELETE the day (as pruneHeartbeatHistory did)', () =>
    db.query('DELETE FROM heartbeat_hours_unpartitioned WHERE hour < $1', [new Date(now.getTime() - HEARTBEAT_HISTORY_DAYS * DAY)]),
  );
  const delWal = await walSince(lsn);
  lsn = await walNow();
  const vacuum = await time('before: the VACUUM that DELETE leaves to do', () => db.exec('VACUUM heartbeat_hours_unpartitioned'));
  const vacuumWal = await walSince(lsn);
  const afterDelete = await sizeOf('heartbeat_hours_unpartitioned');

  // The partitions ahead of that day are created first, so the run timed below only drops.
  await maintainHistoryPartitions(db, new Date(now.getTime() - 1));
  await db.exec('CHECKPOINT');
  lsn = await walNow();
  const drop = await time('after: maintainHistoryPartitions (DROP of the day)', () => maintainHistoryPartitions(db, now));
  const dropWal = await walSince(lsn);
  const afterDrop = await sizeOf('heartbeat_hours');
  if (!drop.result.dropped.includes('heartbeat_hours_p20260601') || drop.result.failed.length) {
    throw new Error(`the day's partition was not dropped: ${JSON.stringify(drop.result)}`);
  }
  const left = await db.query<{ a: number; b: number }>(
    'SELECT (SELECT count(*) FROM heartbeat_hours)::int AS a, (SELECT count(*) FROM heartbeat_hours_unpartitioned)::int AS b',
  );
  if (left.rows[0]!.a !== left.rows[0]!.b) throw new Error(`the two prunings kept different rows: ${JSON.stringify(left.rows[0])}`);

  console.log(`deleted ${del.result.rowCount} rows; ${left.rows[0]!.a} rows left in each`);
  console.log(`size after pruning: unpartitioned ${mb(afterDelete)} (was ${mb(sizes.before)}), partitioned ${mb(afterDrop)} (was ${mb(sizes.partitioned)})`);
  console.log(`WAL: DELETE ${mb(delWal)} + VACUUM ${mb(vacuumWal)}; DROP ${(dropWal / 1024).toFixed(0)} kB`);
  console.log(
    `history: ${botCount} bots, ${del.result.rowCount} rows pruned: DELETE ${(del.ms / 1000).toFixed(1)} s + VACUUM ${(vacuum.ms / 1000).toFixed(1)} s, ` +
      `DROP ${drop.ms.toFixed(0)} ms (${(drop.ms / (del.ms + vacuum.ms)).toFixed(4)}x); WAL ${((dropWal / (delWal + vacuumWal)) * 100).toFixed(3)} %`,
  );
} finally {
  await opened.close();
}
