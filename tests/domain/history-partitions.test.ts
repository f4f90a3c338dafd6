// The calendar rules of the history partitions (src/domain/history-partitions.ts): names and
// ranges in UTC, what to create ahead, what retention lets go.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parsePartitionName, partitionsToCreate, partitionsToDrop, type HistoryTable } from '../../src/domain/history-partitions.ts';

const test = suite('history partition rules');

const daily: HistoryTable = { table: 'heartbeat_hours', column: 'hour', step: 'day', ahead: 2, keepDays: 8 };
const monthly: HistoryTable = { table: 'connection_events', column: 'occurred_at', step: 'month', ahead: 1, keepDays: null };
const iso = (d: Date | null) => d?.toISOString() ?? null;

test('a name stands for its day, its month, or everything before a day; other names for nothing', () => {
  const range = (name: string) => {
    const p = parsePartitionName('heartbeat_hours', name);
    return p && [iso(p.from), iso(p.to)];
  };
  assert.equal(range('heartbeat_hours_p20261231'), ['2026-12-31T00:00:00.000Z', '2027-01-01T00:00:00.000Z']);
  assert.equal(range('heartbeat_hours_p202612'), ['2026-12-01T00:00:00.000Z', '2027-01-01T00:00:00.000Z']);
  assert.equal(range('heartbeat_hours_before_p20261205'), [null, '2026-12-05T00:00:00.000Z']);
  assert.is(range('heartbeat_hours_default'), null);
  assert.is(range('heartbeat_hours_old_pkey'), null);
  assert.is(parsePartitionName('heartbeat_hours', 'site_probes_p20261231'), null);
});

test('creates the current period and those ahead, across a year end, and skips what an existing partition covers', () => {
  const now = new Date('2026-12-31T23:30:00Z');
  assert.equal(partitionsToCreate(daily, [], now).map((p) => p.name), ['heartbeat_hours_p20261231', 'heartbeat_hours_p20270101', 'heartbeat_hours_p20270102']);
  assert.equal(partitionsToCreate(monthly, [], now).map((p) => p.name), ['connection_events_p202612', 'connection_events_p202701']);
  // the rows from before partitioning cover everything up to 2027-01-01
  const before = parsePartitionName('heartbeat_hours', 'heartbeat_hours_before_p20270101')!;
  const existing = [before, parsePartitionName('heartbeat_hours', 'heartbeat_hours_p20270102')!];
  assert.equal(partitionsToCreate(daily, existing, now).map((p) => p.name), ['heartbeat_hours_p20270101']);
});

test('drops a partition once its last moment is past retention, not a moment before; never for a table that keeps its rows', () => {
  const day = parsePartitionName('heartbeat_hours', 'heartbeat_hours_p20261201')!;
  const before = parsePartitionName('heartbeat_hours', 'heartbeat_hours_before_p20261201')!;
  // retention eight days: the 1st ends at 2026-12-02 00:00, which is past it from 2026-12-10 00:00
  assert.equal(partitionsToDrop(daily, [day, before], new Date('2026-12-09T23:59:59.999Z')).map((p) => p.name), ['heartbeat_hours_before_p20261201']);
  assert.equal(partitionsToDrop(daily, [day, before], new Date('2026-12-10T00:00:00Z')).map((p) => p.name), ['heartbeat_hours_p20261201', 'heartbeat_hours_before_p20261201']);
  assert.equal(partitionsToDrop(monthly, [day], new Date('2030-01-01T00:00:00Z')), []);
});

test.run();
