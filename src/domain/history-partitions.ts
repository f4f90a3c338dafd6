// History tables range-partitioned by time (docs/SCALING.md "History partitioned by time"): which
// partition holds which period, which ones to create ahead of time and which ones retention lets
// go. Pure calendar rules in UTC; src/db/history-partitions.ts does the DDL.

export type PartitionStep = 'day' | 'month';

export interface HistoryTable {
  /** The partitioned table. */
  table: string;
  /** Its partition column (a timestamptz). */
  column: string;
  step: PartitionStep;
  /** Periods created ahead of the current one (so the default partition stays empty). */
  ahead: number;
  /** Rows are kept at least this long, then go a whole partition at a time; null: kept. */
  keepDays: number | null;
}

/** One partition's name and range: [from, to), from null meaning "everything before". */
export interface PartitionRange {
  name: string;
  from: Date | null;
  to: Date;
}

/** A partition of one period (not the one of rows from before partitioning). */
export type DatedPartition = PartitionRange & { from: Date };

const DAY_MS = 86_400_000;
const PARTITION_SUFFIX = /^(before_)?p(\d{4})(\d{2})(\d{2})?$/;

/** The start of the UTC day or month holding `at`. */
export function periodStart(step: PartitionStep, at: Date): Date {
  return step === 'day'
    ? new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate()))
    : new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), 1));
}

/** The start of the period after the one starting at `start`. */
export function nextPeriod(step: PartitionStep, start: Date): Date {
  return step === 'day'
    ? new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth(), start.getUTCDate() + 1))
    : new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + 1, 1));
}

const digits = (n: number, width: number) => String(n).padStart(width, '0');

/** `<table>_pYYYYMMDD` (daily) or `<table>_pYYYYMM` (monthly). */
export function partitionName(spec: Pick<HistoryTable, 'table' | 'step'>, start: Date): string {
  const month = `${digits(start.getUTCFullYear(), 4)}${digits(start.getUTCMonth() + 1, 2)}`;
  return `${spec.table}_p${month}${spec.step === 'day' ? digits(start.getUTCDate(), 2) : ''}`;
}

/** The default partition's name. */
export function defaultPartitionName(table: string): string {
  return `${table}_default`;
}

/**
 * The range a partition's name stands for: `<table>_pYYYYMMDD` a day, `<table>_pYYYYMM` a month,
 * `<table>_before_pYYYYMMDD` everything before that day (the table as it was before partitioning,
 * sql/190_history_partitions.sql). Null for the default partition and any other name.
 */
export function parsePartitionName(table: string, name: string): PartitionRange | null {
  if (!name.startsWith(`${table}_`)) return null;
  const match = PARTITION_SUFFIX.exec(name.slice(table.length + 1));
  if (!match) return null;
  const [, before, year, month, day] = match;
  const start = new Date(Date.UTC(Number(year), Number(month) - 1, day === undefined ? 1 : Number(day)));
  if (before) return day === undefined ? null : { name, from: null, to: start };
  return { name, from: start, to: nextPeriod(day === undefined ? 'month' : 'day', start) };
}

/**
 * The current period and the `ahead` ones after it that no existing partition covers: those to
 * create now. A period overlapping an existing range (the partition of rows from before
 * partitioning, say) is left to it.
 */
export function partitionsToCreate(spec: HistoryTable, existing: readonly PartitionRange[], now: Date): DatedPartition[] {
  const wanted: DatedPartition[] = [];
  let start = periodStart(spec.step, now);
  for (let i = 0; i <= spec.ahead; i++) {
    const end = nextPeriod(spec.step, start);
    const overlaps = existing.some((p) => (p.from === null || p.from < end) && start < p.to);
    if (!overlaps) wanted.push({ name: partitionName(spec, start), from: start, to: end });
    start = end;
  }
  return wanted;
}

/** Rows older than this are past retention (null: the table keeps its rows). */
export function retentionCutoff(spec: HistoryTable, now: Date): Date | null {
  return spec.keepDays === null ? null : new Date(now.getTime() - spec.keepDays * DAY_MS);
}

/** The partitions whose every row is past retention: dropped whole. */
export function partitionsToDrop(spec: HistoryTable, existing: readonly PartitionRange[], now: Date): PartitionRange[] {
  const cutoff = retentionCutoff(spec, now);
  if (cutoff === null) return [];
  return existing.filter((p) => p.to <= cutoff);
}
