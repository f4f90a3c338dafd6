// The history tables partitioned by time (sql/190_history_partitions.sql, docs/SCALING.md
// "History partitioned by time"): creates their partitions ahead of time and drops the ones past
// retention, a whole partition at a time instead of a DELETE per row. Run by the instance that
// swept (src/alerts/alert-jobs.ts), once a minute; each change is its own short transaction, so it
// works through a transaction pooler.
import {
  defaultPartitionName,
  parsePartitionName,
  partitionsToCreate,
  partitionsToDrop,
  retentionCutoff,
  type DatedPartition,
  type HistoryTable,
  type PartitionRange,
} from '../domain/history-partitions.ts';
import { HEARTBEAT_HISTORY_DAYS, PROBE_HISTORY_DAYS } from '../domain/retention.ts';
import type { Database, Queryable } from './database.ts';

/**
 * The partitioned history tables. Connection events are kept as long as their bot, and alert
 * records as long as their account (the privacy page says so): those two get partitions ahead but
 * are never pruned here.
 */
export const HISTORY_TABLES: readonly HistoryTable[] = [
  { table: 'heartbeat_hours', column: 'hour', step: 'day', ahead: 3, keepDays: HEARTBEAT_HISTORY_DAYS },
  { table: 'site_probes', column: 'created_at', step: 'day', ahead: 3, keepDays: PROBE_HISTORY_DAYS },
  { table: 'connection_events', column: 'occurred_at', step: 'month', ahead: 1, keepDays: null },
  { table: 'alert_outbox', column: 'created_at', step: 'month', ahead: 1, keepDays: null },
];

/** Storage settings of a new partition (a partitioned table has none of its own). */
const PARTITION_STORAGE: Record<string, string> = {
  // HOT hourly counts: the bump of a bot's hour stays on its page (sql/090_heartbeat_write_cost.sql).
  heartbeat_hours: ' WITH (fillfactor = 50)',
};

/**
 * How long DDL waits for the table's lock. Dropping a partition locks its table exclusively for a
 * moment, and writers queue behind a waiting lock: rather than stall heartbeats behind a long
 * query, give up and try again at the next run.
 */
const DDL_LOCK_TIMEOUT = '1s';

export interface HistoryMaintenance {
  created: string[];
  dropped: string[];
  /** Rows deleted one by one: from the default partition and the partition of rows from before partitioning. */
  deletedRows: number;
  /** Changes that failed (usually the lock timeout); tried again at the next run. */
  failed: Array<{ partition: string; error: string }>;
}

/** The dated partitions of a table (the default one excluded), from the catalogue. */
export async function listPartitions(db: Queryable, table: string): Promise<PartitionRange[]> {
  const { rows } = await db.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
     WHERE i.inhparent = $1::regclass AND c.relkind IN ('r', 'p')`,
    [table],
  );
  return rows.flatMap((row) => parsePartitionName(table, row.name) ?? []).sort((a, b) => a.to.getTime() - b.to.getTime());
}

const ident = (name: string) => `"${name.replaceAll('"', '""')}"`;

/**
 * Creates one partition. Rows the default partition holds for its range (an insert before it
 * existed) move into it in the same transaction, so attaching it never fails on them.
 */
async function createPartition(db: Database, spec: HistoryTable, p: DatedPartition): Promise<boolean> {
  return db.transaction(async (tx) => {
    await tx.query(`SET LOCAL lock_timeout = '${DDL_LOCK_TIMEOUT}'`);
    // Instances that run this together create each partition once.
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`history partitions ${spec.table}`]);
    const { rows } = await tx.query<{ present: boolean }>('SELECT to_regclass($1) IS NOT NULL AS present', [p.name]);
    if (rows[0]?.present) return false;
    const [table, partition, column] = [ident(spec.table), ident(p.name), ident(spec.column)];
    await tx.query(`CREATE TABLE ${partition} (LIKE ${table} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)${PARTITION_STORAGE[spec.table] ?? ''}`);
    // A moved row is not a deleted one: the outbox's cascade to notifications stays out of it (sql/190).
    await tx.query("SET LOCAL agentdesk.moving_rows = 'on'");
    await tx.query(
      `WITH moved AS (DELETE FROM ${ident(defaultPartitionName(spec.table))} WHERE ${column} >= $1 AND ${column} < $2 RETURNING *)
       INSERT INTO ${partition} SELECT * FROM moved`,
      [p.from, p.to],
    );
    await tx.query(`ALTER TABLE ${table} ATTACH PARTITION ${partition} FOR VALUES FROM ('${p.from.toISOString()}') TO ('${p.to.toISOString()}')`);
    return true;
  });
}

async function dropPartition(db: Database, name: string): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.query(`SET LOCAL lock_timeout = '${DDL_LOCK_TIMEOUT}'`);
    await tx.query(`DROP TABLE IF EXISTS ${ident(name)}`);
  });
}

/** Creates what is due ahead, drops what retention lets go, for every history table. */
export async function maintainHistoryPartitions(db: Database, now: Date, tables: readonly HistoryTable[] = HISTORY_TABLES): Promise<HistoryMaintenance> {
  const result: HistoryMaintenance = { created: [], dropped: [], deletedRows: 0, failed: [] };
  const attempt = async (partition: string, change: () => Promise<void>) => {
    try {
      await change();
    } catch (error) {
      result.failed.push({ partition, error: error instanceof Error ? error.message : String(error) });
    }
  };
  for (const spec of tables) {
    const existing = await listPartitions(db, spec.table);
    for (const p of partitionsToCreate(spec, existing, now)) {
      await attempt(p.name, async () => {
        if (await createPartition(db, spec, p)) result.created.push(p.name);
      });
    }
    const dropping = partitionsToDrop(spec, existing, now);
    for (const p of dropping) {
      await attempt(p.name, async () => {
        await dropPartition(db, p.name);
        result.dropped.push(p.name);
      });
    }
    // What is not a whole partition past retention goes row by row, as before partitioning: the
    // default partition (small) and the partition of rows from before it, until it is dropped.
    const cutoff = retentionCutoff(spec, now);
    if (cutoff === null) continue;
    const kept = existing.filter((p) => p.from === null && !result.dropped.includes(p.name)).map((p) => p.name);
    for (const name of [defaultPartitionName(spec.table), ...kept]) {
      await attempt(name, async () => {
        const { rowCount } = await db.query(`DELETE FROM ${ident(name)} WHERE ${ident(spec.column)} < $1`, [cutoff]);
        result.deletedRows += rowCount;
      });
    }
  }
  return result;
}
