// What one heartbeat costs the database: WAL bytes, rows and index entries written. Runs on an
// embedded PostgreSQL of its own (a throw-away DATA_DIR), so no other client's writes count.
// Bots are seeded, each sends a first heartbeat (never → connected, a status event and a new hourly
// row), then a second one in the same hour: the steady state, which is what nearly every
// heartbeat is. Both rounds go through recordHeartbeats in batches, as the service writes them.
//
//   npm run bench:heartbeat-cost            (BENCH_BOTS, default 20000; BENCH_BATCH, default 50;
//                                            BENCH_SITE_HEALTH=1: heartbeat 1.2 bodies with site-health facts)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { recordHeartbeats, type HeartbeatWrite } from '../src/db/bots.ts';
import type { SiteHealth } from '../src/domain/heartbeat-input.ts';
import type { Database } from '../src/db/database.ts';
import { startEmbeddedPostgres } from '../src/db/embedded-postgres.ts';
import { migrate } from '../src/db/migrate.ts';
import { openPgDatabase } from '../src/db/pg-driver.ts';
import { hashSecret } from '../src/accounts/credentials.ts';
import { seedBots } from './seed-bots.ts';

const botCount = Number(process.env.BENCH_BOTS ?? 20_000);
const batchSize = Number(process.env.BENCH_BATCH ?? 50);
const health: SiteHealth | undefined =
  process.env.BENCH_SITE_HEALTH === '1'
    ? { phpVersion: '8.2.36', cron: { mode: 'wp-cron', overdueEvents: 0, oldestOverdueSeconds: 0 }, environment: 'production', multisite: false }
    : undefined;

interface Counters {
  lsn: string;
  tables: Map<string, { ins: number; upd: number; hot: number }>;
}

/** Table write counters (flushed by other backends at most once a second) and the WAL position. */
async function counters(db: Database): Promise<Counters> {
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const { rows: lsn } = await db.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn');
  const { rows } = await db.query<{ relname: string; ins: number; upd: number; hot: number }>(
    `SELECT relname, n_tup_ins AS ins, n_tup_upd AS upd, n_tup_hot_upd AS hot FROM pg_stat_user_tables`,
  );
  return { lsn: lsn[0]!.lsn, tables: new Map(rows.map((r) => [r.relname, { ins: Number(r.ins), upd: Number(r.upd), hot: Number(r.hot) }])) };
}

/** Indexes of a table, and how many of them a connected bot's row version is entered in. */
async function indexCount(db: Database, table: string): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
     WHERE i.indrelid = $1::regclass AND (i.indpred IS NULL OR pg_get_expr(i.indpred, i.indrelid) LIKE '%connected%')`,
    [table],
  );
  return rows[0]!.n;
}

async function round(db: Database, tokens: string[], at: Date): Promise<void> {
  for (let i = 0; i < tokens.length; i += batchSize) {
    const writes: HeartbeatWrite[] = tokens.slice(i, i + batchSize).map((token) => ({
      tokenHash: hashSecret(token),
      siteUrl: 'https://example.com',
      pluginVersion: '1.2.0',
      wpVersion: '6.4',
      status: 'connected',
      reason: 'heartbeat',
      at,
      health,
    }));
    // STALE_AFTER's default: the copy check runs as in the service.
    await recordHeartbeats(db, writes, { staleAfterMs: 600_000 });
  }
}

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-cost-'));
const server = await startEmbeddedPostgres({ dataDir });
const db = openPgDatabase({ connectionString: server.url, poolSize: 2 });
try {
  await migrate(db);
  const tokens = await seedBots(db, botCount);
  const hour = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000);
  const report = (label: string, before: Counters, after: Counters, indexes: Record<string, number>) => {
    const { rows } = { rows: [] as string[] };
    let entries = 0;
    for (const [table, a] of after.tables) {
      const b = before.tables.get(table) ?? { ins: 0, upd: 0, hot: 0 };
      const ins = a.ins - b.ins;
      const upd = a.upd - b.upd;
      const hot = a.hot - b.hot;
      if (!ins && !upd) continue;
      // A new row version not made HOT is entered in every index of its table.
      const tableEntries = (ins + upd - hot) * (indexes[table] ?? 0);
      entries += tableEntries;
      rows.push(`${table}: ${(ins / botCount).toFixed(2)} inserted, ${(upd / botCount).toFixed(2)} updated (${(hot / botCount).toFixed(2)} HOT), ~${(tableEntries / botCount).toFixed(1)} index entries`);
    }
    return { label, rows, entries };
  };
  const lsnBytes = async (a: string, b: string) =>
    Number((await db.query<{ n: string }>('SELECT pg_wal_lsn_diff($1::pg_lsn, $2::pg_lsn) AS n', [b, a])).rows[0]!.n);
  const indexes = { bots: await indexCount(db, 'bots'), bot_liveness: await indexCount(db, 'bot_liveness'), heartbeat_hours: await indexCount(db, 'heartbeat_hours'), connection_events: await indexCount(db, 'connection_events'), bot_search: await indexCount(db, 'bot_search').catch(() => 0) };

  // Wall time per heartbeat on one connection: mostly the server's CPU, plus a round trip and a
  // commit per batch; comparable only within one run on this machine.
  const timed = async (at: Date) => {
    const started = performance.now();
    await round(db, tokens, at);
    return ((performance.now() - started) * 1000) / botCount;
  };
  const c0 = await counters(db);
  const firstUs = await timed(new Date(hour.getTime() + 60_000));
  const c1 = await counters(db);
  const steadyUs = await timed(new Date(hour.getTime() + 120_000));
  const c2 = await counters(db);
  console.log(`${botCount} bots, batches of ${batchSize}, embedded PostgreSQL; indexes on bots: ${indexes.bots}, on bot_liveness: ${indexes.bot_liveness}`);
  for (const [label, a, b, us] of [['first heartbeat (never → connected, new hourly row)', c0, c1, firstUs], ['steady state (same status, same hour)', c1, c2, steadyUs]] as const) {
    const r = report(label, a, b, indexes);
    console.log(`${label}: ${((await lsnBytes(a.lsn, b.lsn)) / botCount).toFixed(0)} WAL bytes per heartbeat; ~${(r.entries / botCount).toFixed(1)} index entries; ${us.toFixed(0)} µs wall each`);
    for (const line of r.rows) console.log(`  ${line}`);
  }
} finally {
  await db.close();
  await server.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
}
