// The uptime arithmetic of the monthly report, in table form: each row a history and the figures it gives.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { combineUptime, monthPeriod, previousMonth, uptimeFigures, type Interval, type StatusStretch, type UptimeHistory } from '../../src/domain/uptime.ts';

const test = suite('uptime arithmetic');

const t = (iso: string) => new Date(iso);
const HOUR = 3600;
const DAY = 24 * HOUR;
const november: Interval = { start: t('2026-11-01T00:00:00Z'), end: t('2026-12-01T00:00:00Z') };
const afterNovember = t('2026-12-04T12:00:00Z');
const stretch = (from: string, status: string, extra: Partial<StatusStretch> = {}): StatusStretch => ({ from: t(from), status, ...extra });
const span = (start: string, end: string): Interval => ({ start: t(start), end: t(end) });
const history = (stretches: StatusStretch[], more: Partial<UptimeHistory> = {}): UptimeHistory => ({ stretches, maintenance: [], ourOutages: [], ...more });

type Row = [name: string, history: UptimeHistory, expected: { up: number; down: number; maintenance?: number; unknown?: number; unmonitored?: number; percent: number | null }];

const rows: Row[] = [
  ['connected all month: 100 %', history([stretch('2026-10-01T00:00:00Z', 'connected')]), { up: 30 * DAY, down: 0, percent: 100 }],
  [
    'one 3-hour outage',
    history([stretch('2026-10-01T00:00:00Z', 'connected'), stretch('2026-11-10T09:00:00Z', 'stale'), stretch('2026-11-10T12:00:00Z', 'connected')]),
    { up: 30 * DAY - 3 * HOUR, down: 3 * HOUR, percent: 99.583 },
  ],
  [
    'an outage inside a maintenance window is maintenance, not downtime',
    history([stretch('2026-10-01T00:00:00Z', 'connected'), stretch('2026-11-10T09:00:00Z', 'stale'), stretch('2026-11-10T12:00:00Z', 'connected')], {
      maintenance: [span('2026-11-10T08:00:00Z', '2026-11-10T13:00:00Z')],
    }),
    { up: 30 * DAY - 5 * HOUR, down: 0, maintenance: 5 * HOUR, percent: 100 },
  ],
  [
    'a window overlapping half an outage leaves the other half as downtime',
    history([stretch('2026-10-01T00:00:00Z', 'connected'), stretch('2026-11-10T09:00:00Z', 'stale'), stretch('2026-11-10T13:00:00Z', 'connected')], {
      maintenance: [span('2026-11-10T11:00:00Z', '2026-11-10T15:00:00Z'), span('2026-11-10T12:00:00Z', '2026-11-10T14:00:00Z')],
    }),
    { up: 30 * DAY - 6 * HOUR, down: 2 * HOUR, maintenance: 4 * HOUR, percent: 99.721 },
  ],
  [
    'our own outage is unknown, even over maintenance and downtime',
    history([stretch('2026-10-01T00:00:00Z', 'connected'), stretch('2026-11-10T09:00:00Z', 'stale'), stretch('2026-11-10T12:00:00Z', 'connected')], {
      maintenance: [span('2026-11-10T06:00:00Z', '2026-11-10T10:00:00Z')],
      ourOutages: [span('2026-11-10T07:00:00Z', '2026-11-10T11:00:00Z')],
    }),
    { up: 30 * DAY - 6 * HOUR, down: HOUR, maintenance: HOUR, unknown: 4 * HOUR, percent: 99.86 },
  ],
  [
    'an outage spanning two months counts only its November part',
    history([stretch('2026-10-01T00:00:00Z', 'connected'), stretch('2026-10-31T22:00:00Z', 'stale'), stretch('2026-11-01T02:00:00Z', 'connected'), stretch('2026-11-30T23:00:00Z', 'stale')]),
    { up: 30 * DAY - 3 * HOUR, down: 3 * HOUR, percent: 99.583 },
  ],
  [
    'before its first connection and while switched off a site is unmonitored, neither up nor down',
    history([stretch('2026-11-05T00:00:00Z', 'never'), stretch('2026-11-11T00:00:00Z', 'connected'), stretch('2026-11-21T00:00:00Z', 'disabled')]),
    { up: 10 * DAY, down: 0, unmonitored: 20 * DAY, percent: 100 },
  ],
  ['no history at all: nothing to say', history([]), { up: 0, down: 0, unmonitored: 30 * DAY, percent: null }],
];

for (const [name, input, expected] of rows) {
  test(name, () => {
    const figures = uptimeFigures(input, november, afterNovember);
    assert.equal(
      [figures.up_seconds, figures.downtime_seconds, figures.maintenance_seconds, figures.unknown_seconds, figures.unmonitored_seconds, figures.uptime_percent],
      [expected.up, expected.down, expected.maintenance ?? 0, expected.unknown ?? 0, expected.unmonitored ?? 0, expected.percent],
    );
    // every second of the month is exactly one kind
    const total = figures.up_seconds + figures.downtime_seconds + figures.maintenance_seconds + figures.unknown_seconds + figures.unmonitored_seconds;
    assert.is(total, 30 * DAY);
  });
}

test('incidents carry their diagnosis, the longest outage and the mean time to recover', () => {
  const figures = uptimeFigures(
    history([
      stretch('2026-10-01T00:00:00Z', 'connected'),
      stretch('2026-11-02T10:00:00Z', 'stale', { diagnosis: 'site_down', detail: 'Error establishing a database connection' }),
      stretch('2026-11-02T11:00:00Z', 'connected'),
      stretch('2026-11-20T10:00:00Z', 'stale', { diagnosis: 'plugin_silent', detail: 'the site answers; the plugin does not report' }),
      stretch('2026-11-20T13:00:00Z', 'connected'),
      stretch('2026-11-30T22:00:00Z', 'stale', { diagnosis: null }),
    ]),
    november,
    afterNovember,
  );
  assert.equal(
    figures.incidents.map((i) => [i.start.toISOString(), i.end?.toISOString() ?? null, i.downtime_seconds, i.diagnosis]),
    [
      ['2026-11-02T10:00:00.000Z', '2026-11-02T11:00:00.000Z', HOUR, 'site_down'],
      ['2026-11-20T10:00:00.000Z', '2026-11-20T13:00:00.000Z', 3 * HOUR, 'plugin_silent'],
      // still down when the month ended: counted to its end, not yet recovered
      ['2026-11-30T22:00:00.000Z', null, 2 * HOUR, null],
    ],
  );
  assert.is(figures.longest_outage_seconds, 3 * HOUR);
  // the two that ended: (1 h + 3 h) / 2
  assert.is(figures.mttr_seconds, 2 * HOUR);
});

test('an outage wholly inside a maintenance window is not an incident', () => {
  const figures = uptimeFigures(
    history([stretch('2026-10-01T00:00:00Z', 'connected'), stretch('2026-11-10T09:00:00Z', 'stale'), stretch('2026-11-10T10:00:00Z', 'connected')], {
      maintenance: [span('2026-11-10T08:00:00Z', '2026-11-10T12:00:00Z')],
    }),
    november,
    afterNovember,
  );
  assert.equal(figures.incidents, []);
  assert.is(figures.mttr_seconds, null);
});

test('a month still running is measured up to now', () => {
  const figures = uptimeFigures(history([stretch('2026-10-01T00:00:00Z', 'connected')]), monthPeriod('2026-12', 'UTC'), afterNovember);
  assert.is(figures.up_seconds, 3.5 * DAY);
});

test('months follow the owner’s time zone, DST included', () => {
  const table: Array<[string, string, string, number]> = [
    // [month, zone, first instant, length in hours]
    ['2026-11', 'UTC', '2026-11-01T00:00:00.000Z', 30 * 24],
    ['2026-11', 'America/New_York', '2026-11-01T04:00:00.000Z', 30 * 24 + 1], // DST ends on 1 November: one hour longer
    ['2026-10', 'Europe/Berlin', '2026-09-30T22:00:00.000Z', 31 * 24 + 1], // DST ends on 25 October
    ['2026-03', 'Europe/Berlin', '2026-02-28T23:00:00.000Z', 31 * 24 - 1], // DST begins on 29 March
    ['2026-04', 'Australia/Lord_Howe', '2026-03-31T13:00:00.000Z', 30 * 24 + 0.5], // a half-hour DST shift
  ];
  for (const [month, zone, start, hours] of table) {
    const period = monthPeriod(month, zone);
    assert.is(period.start.toISOString(), start, `${month} ${zone}`);
    assert.is((period.end.getTime() - period.start.getTime()) / 3_600_000, hours, `${month} ${zone}`);
  }
  // the report sent on 1 December in Auckland covers Auckland's November, though UTC is still in November
  assert.is(previousMonth(t('2026-11-30T12:00:00Z'), 'Pacific/Auckland'), '2026-11');
  assert.is(previousMonth(t('2026-11-30T12:00:00Z'), 'UTC'), '2026-10');
  assert.throws(() => monthPeriod('2026-13', 'UTC'), /month must look like 2026-11/);
  assert.throws(() => monthPeriod('November', 'UTC'), /month must look like/);
  assert.throws(() => monthPeriod('2026-11', 'Mars/Olympus'), /IANA/);
});

test('a client’s totals add the seconds and take the percentage of the sums', () => {
  const good = uptimeFigures(history([stretch('2026-10-01T00:00:00Z', 'connected')]), november, afterNovember);
  const bad = uptimeFigures(
    history([stretch('2026-10-01T00:00:00Z', 'connected'), stretch('2026-11-10T00:00:00Z', 'stale', { diagnosis: 'site_down' }), stretch('2026-11-11T00:00:00Z', 'connected')]),
    november,
    afterNovember,
  );
  const both = combineUptime([good, bad]);
  assert.is(both.up_seconds, 59 * DAY);
  assert.is(both.downtime_seconds, DAY);
  assert.is(both.uptime_percent, 98.333);
  assert.is(both.incidents.length, 1);
  assert.is(both.longest_outage_seconds, DAY);
});


test('weekly windows as they ran: none before the window was added, each cut by an "end now" inside it', async () => {
  const { weeklyOccurrencesBetween } = await import('../../src/domain/maintenance.ts');
  // Sundays 02:30 Berlin for 2 hours, added on 20 October 2026, over Berlin's October
  const window = { weekday: 7, startMinute: 150, durationMinutes: 120, createdAt: t('2026-10-20T00:00:00Z') };
  const october = monthPeriod('2026-10', 'Europe/Berlin');
  const ended = t('2026-10-25T02:00:00Z');
  const runs = weeklyOccurrencesBetween(window, 'Europe/Berlin', october.start, october.end, [ended]);
  assert.equal(
    runs.map((run) => [run.startsAt.toISOString(), run.until.toISOString()]),
    [
      // 25 October, the night DST ends: 02:30 is read as its standard-time instant (01:30 UTC), ended at 02:00 UTC
      ['2026-10-25T01:30:00.000Z', '2026-10-25T02:00:00.000Z'],
    ],
  );
  // without the ending, and for November, whole occurrences every Sunday
  const november2026 = monthPeriod('2026-11', 'Europe/Berlin');
  assert.is(weeklyOccurrencesBetween(window, 'Europe/Berlin', november2026.start, november2026.end).length, 5);
});
test.run();
