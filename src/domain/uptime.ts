// Uptime of a site over a period (a month in its owner's time zone), as the monthly report states
// it (docs/reports.md). Every second of the period is exactly one of:
//   unknown     — our own ingest was down (the service or its database): no one can say;
//   maintenance — the site was in a maintenance window: planned, not held against it;
//   down        — the site was stale (silent past its deadline);
//   up          — the site was connected;
//   unmonitored — never connected yet, deactivated, disconnected or switched off.
// in that order of precedence. The percentage is up / (up + down): unknown, maintenance and
// unmonitored time count neither way. Pure: the caller passes the history and `now`.
import { DateTime } from 'luxon';
import type { Diagnosis } from './probe-diagnosis.ts';
import { formatDuration } from './duration.ts';

export interface Interval {
  start: Date;
  end: Date;
}

/** One stretch of the site's status history: `status` from `from` until the next stretch begins. */
export interface StatusStretch {
  from: Date;
  status: string;
  /** For a stale stretch: what the probe found (null when not probed yet). */
  diagnosis?: Diagnosis | null;
  detail?: string | null;
}

export interface UptimeHistory {
  /** Sorted by `from`; the first stretch begins at or before the period (none: no history yet). */
  stretches: readonly StatusStretch[];
  maintenance: readonly Interval[];
  ourOutages: readonly Interval[];
}

export interface Incident {
  start: Date;
  /** null: still down at the end of the period measured. */
  end: Date | null;
  /** Down seconds within the period, maintenance and our own outages left out. */
  downtime_seconds: number;
  diagnosis: Diagnosis | null;
  detail: string | null;
}

export interface UptimeFigures {
  up_seconds: number;
  downtime_seconds: number;
  maintenance_seconds: number;
  unknown_seconds: number;
  unmonitored_seconds: number;
  /** up / (up + down) in percent, rounded to 3 decimals; null when neither happened. */
  uptime_percent: number | null;
  incidents: Incident[];
  longest_outage_seconds: number;
  /** Mean downtime of the incidents that ended within the period; null when none did. */
  mttr_seconds: number | null;
}

type Kind = 'up' | 'down' | 'maintenance' | 'unknown' | 'unmonitored';

/** The calendar month `month` ("2026-11") in `zone`: from its first midnight to the next month's. */
export function monthPeriod(month: string, zone: string): Interval {
  const match = /^(\d{4})-(\d{2})$/.exec(month);
  const start = match ? DateTime.fromObject({ year: Number(match[1]), month: Number(match[2]), day: 1 }, { zone }) : undefined;
  if (!start?.isValid) throw new RangeError(`month must look like 2026-11 and the time zone must be an IANA name, got ${month} in ${zone}`);
  return { start: start.toJSDate(), end: start.plus({ months: 1 }).toJSDate() };
}

/** The month before the one `now` falls in, in `zone`, as "YYYY-MM" (the report sent on the 1st). */
export function previousMonth(now: Date, zone: string): string {
  return DateTime.fromJSDate(now, { zone }).startOf('month').minus({ months: 1 }).toFormat('yyyy-MM');
}

const covers = (intervals: readonly Interval[], at: number) => intervals.some((i) => i.start.getTime() <= at && at < i.end.getTime());

/** The figures for `period`, measured up to `now` at the latest (a month still running stops there). */
export function uptimeFigures(history: UptimeHistory, period: Interval, now: Date): UptimeFigures {
  const from = period.start.getTime();
  const to = Math.min(period.end.getTime(), now.getTime());
  const totals: Record<Kind, number> = { up: 0, down: 0, maintenance: 0, unknown: 0, unmonitored: 0 };
  const stretches = history.stretches;
  const endOf = (index: number) => stretches[index + 1]?.from.getTime() ?? Infinity;
  const downIn: number[] = stretches.map(() => 0);
  if (to > from) {
    const cuts = new Set<number>([from, to]);
    const within = (t: number) => t > from && t < to && cuts.add(t);
    for (const stretch of stretches) within(stretch.from.getTime());
    for (const i of [...history.maintenance, ...history.ourOutages]) {
      within(i.start.getTime());
      within(i.end.getTime());
    }
    const points = [...cuts].sort((a, b) => a - b);
    let index = -1;
    for (let p = 0; p + 1 < points.length; p++) {
      const [a, b] = [points[p]!, points[p + 1]!];
      while (index + 1 < stretches.length && stretches[index + 1]!.from.getTime() <= a) index++;
      const status = index >= 0 ? stretches[index]!.status : undefined;
      const kind: Kind = covers(history.ourOutages, a)
        ? 'unknown'
        : covers(history.maintenance, a)
          ? 'maintenance'
          : status === 'connected'
            ? 'up'
            : status === 'stale'
              ? 'down'
              : 'unmonitored';
      totals[kind] += b - a;
      if (kind === 'down') downIn[index] = downIn[index]! + (b - a);
    }
  }
  const incidents: Incident[] = [];
  stretches.forEach((stretch, index) => {
    if (stretch.status !== 'stale' || downIn[index] === 0) return;
    const end = endOf(index);
    incidents.push({
      start: stretch.from,
      end: end <= to ? new Date(end) : null,
      downtime_seconds: downIn[index]! / 1000,
      diagnosis: stretch.diagnosis ?? null,
      detail: stretch.detail ?? null,
    });
  });
  return summarize(
    {
      up_seconds: totals.up / 1000,
      downtime_seconds: totals.down / 1000,
      maintenance_seconds: totals.maintenance / 1000,
      unknown_seconds: totals.unknown / 1000,
      unmonitored_seconds: totals.unmonitored / 1000,
    },
    incidents,
  );
}

type Seconds = Pick<UptimeFigures, 'up_seconds' | 'downtime_seconds' | 'maintenance_seconds' | 'unknown_seconds' | 'unmonitored_seconds'>;

function summarize(seconds: Seconds, incidents: Incident[]): UptimeFigures {
  const counted = seconds.up_seconds + seconds.downtime_seconds;
  const resolved = incidents.filter((incident) => incident.end !== null);
  return {
    ...seconds,
    uptime_percent: counted > 0 ? Math.round((seconds.up_seconds / counted) * 100_000) / 1000 : null,
    incidents,
    longest_outage_seconds: Math.max(0, ...incidents.map((incident) => incident.downtime_seconds)),
    mttr_seconds: resolved.length > 0 ? resolved.reduce((sum, incident) => sum + incident.downtime_seconds, 0) / resolved.length : null,
  };
}

/** The totals of several sites (a client's report): seconds added, the percentage of the sums. */
export function combineUptime(sites: readonly UptimeFigures[]): UptimeFigures {
  const sum = (key: keyof Seconds) => sites.reduce((total, site) => total + site[key], 0);
  return summarize(
    {
      up_seconds: sum('up_seconds'),
      downtime_seconds: sum('downtime_seconds'),
      maintenance_seconds: sum('maintenance_seconds'),
      unknown_seconds: sum('unknown_seconds'),
      unmonitored_seconds: sum('unmonitored_seconds'),
    },
    sites.flatMap((site) => site.incidents).sort((a, b) => a.start.getTime() - b.start.getTime()),
  );
}

/** The last `count` calendar days in `zone`, today (up to its end) last: a status page's daily bars. */
export function lastDays(now: Date, zone: string, count: number): Interval[] {
  const today = DateTime.fromJSDate(now, { zone }).startOf('day');
  return Array.from({ length: count }, (_, i) => {
    const day = today.minus({ days: count - 1 - i });
    return { start: day.toJSDate(), end: day.plus({ days: 1 }).toJSDate() };
  });
}

/** Seconds as people read them ("3 hours"), for reports and their mails. */
export const secondsInWords = (seconds: number): string => formatDuration(seconds * 1000);

/**
 * One site's (or the totals') figures as a report page or mail shows them: the percentage and the
 * durations in words; null where there is nothing to say (no data, or no incident that ended), for
 * each format to fill in its own way.
 */
export function uptimeInWords(
  f: Pick<UptimeFigures, 'uptime_percent' | 'downtime_seconds' | 'maintenance_seconds' | 'unknown_seconds' | 'longest_outage_seconds' | 'mttr_seconds'> & {
    incidents: readonly unknown[];
  },
) {
  return {
    uptime: f.uptime_percent === null ? null : `${f.uptime_percent} %`,
    down: secondsInWords(f.downtime_seconds),
    maintenance: secondsInWords(f.maintenance_seconds),
    unknown: secondsInWords(f.unknown_seconds),
    incidents: f.incidents.length,
    longest: secondsInWords(f.longest_outage_seconds),
    mttr: f.mttr_seconds === null ? null : secondsInWords(f.mttr_seconds),
  };
}
