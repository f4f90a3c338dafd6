// The monthly uptime report of an owner's sites (docs/reports.md): for each site and in total,
// up, down, maintenance and unknown seconds, the percentage, the incidents with our diagnosis,
// the longest outage and the mean time to recover, over a calendar month in the owner's time zone.
// History comes from the database (status changes, stale episodes, the maintenance log, our own
// ingest outages, the weekly windows as they stand); the arithmetic is src/domain/uptime.ts.
import type { Queryable } from '../db/database.ts';
import { findOwnedBot, listOwnedBots, type BotRow } from '../db/bots.ts';
import { listSchedules } from '../db/maintenance.ts';
import { findUserById } from '../db/users.ts';
import { findOwnedClient, listClientBots } from '../db/clients.ts';
import { selectIngestOutages, selectMaintenanceLog, selectStatusStretches } from '../db/uptime-history.ts';
import { weeklyOccurrencesBetween } from '../domain/maintenance.ts';
import { combineUptime, monthPeriod, uptimeFigures, type Interval, type UptimeFigures, type UptimeHistory } from '../domain/uptime.ts';
import { NotFoundError, ValidationError } from '../errors.ts';

export interface UptimeReportDeps {
  db: Queryable;
  now?: () => Date;
}

export interface SiteUptime {
  bot_id: string;
  name: string;
  site_url: string | null;
  figures: UptimeFigures;
}

export interface UptimeReport {
  month: string;
  time_zone: string;
  period: Interval;
  /** The month is still running: the figures stop at the time of the report. */
  partial: boolean;
  sites: SiteUptime[];
  totals: UptimeFigures;
}

export function createUptimeReports({ db, now = () => new Date() }: UptimeReportDeps) {
  /** Each bot's history over `period`: status stretches, maintenance as it ran, our own outages. */
  async function histories(owner: { id: string; timezone: string }, bots: readonly BotRow[], period: Interval): Promise<Map<string, UptimeHistory>> {
    const ids = bots.map((bot) => bot.id);
    const [stretches, log, ourOutages, schedules] = await Promise.all([
      selectStatusStretches(db, ids, period),
      selectMaintenanceLog(db, ids, period),
      selectIngestOutages(db, period),
      listSchedules(db, owner.id),
    ]);
    return new Map(
      bots.map((bot) => {
        const { periods, endings } = log.get(bot.id)!;
        const weekly = schedules
          .filter((schedule) => schedule.bot_id === null || schedule.bot_id === bot.id)
          .flatMap((schedule) =>
            weeklyOccurrencesBetween(
              { weekday: schedule.weekday, startMinute: schedule.start_minute, durationMinutes: schedule.duration_minutes, createdAt: schedule.created_at },
              owner.timezone,
              period.start,
              period.end,
              endings,
            ),
          )
          .map((occurrence) => ({ start: occurrence.startsAt, end: occurrence.until }));
        return [bot.id, { stretches: stretches.get(bot.id)!, maintenance: [...periods, ...weekly], ourOutages }];
      }),
    );
  }

  /** The figures of these bots of one owner over one month. */
  async function report(owner: { id: string; timezone: string }, bots: readonly BotRow[], month: string): Promise<UptimeReport> {
    let period: Interval;
    try {
      period = monthPeriod(month, owner.timezone);
    } catch {
      throw new ValidationError('month must be a calendar month such as 2026-11');
    }
    const at = now();
    if (period.start >= at) throw new ValidationError(`month ${month} has not begun yet`);
    const history = await histories(owner, bots, period);
    const sites = bots.map(
      (bot): SiteUptime => ({ bot_id: bot.id, name: bot.name, site_url: bot.wordpress_site_url, figures: uptimeFigures(history.get(bot.id)!, period, at) }),
    );
    return { month, time_zone: owner.timezone, period, partial: period.end > at, sites, totals: combineUptime(sites.map((site) => site.figures)) };
  }

  async function ownerOf(ownerId: string) {
    const owner = await findUserById(db, ownerId);
    if (!owner) throw new NotFoundError('Owner not found');
    return owner;
  }

  return {
    /**
     * All the owner's sites, the one named by `botId`, or those of the client `clientId` (another
     * owner's bot or client is a 404).
     */
    async forOwner(ownerId: string, month: string, only: { botId?: string; clientId?: string } = {}): Promise<UptimeReport> {
      const owner = await ownerOf(ownerId);
      if (only.botId !== undefined) {
        const bot = await findOwnedBot(db, ownerId, only.botId);
        if (!bot) throw new NotFoundError('Bot not found');
        return report(owner, [bot], month);
      }
      if (only.clientId !== undefined) {
        if (!(await findOwnedClient(db, ownerId, only.clientId))) throw new NotFoundError('Client not found');
        return report(owner, await listClientBots(db, ownerId, only.clientId), month);
      }
      return report(owner, await listOwnedBots(db, ownerId), month);
    },

    /** Each bot's figures for each of these days (a status page's daily bars), measured up to now. */
    async daily(owner: { id: string; timezone: string }, bots: readonly BotRow[], days: readonly Interval[]): Promise<Map<string, UptimeFigures[]>> {
      if (days.length === 0) return new Map();
      const history = await histories(owner, bots, { start: days[0]!.start, end: days[days.length - 1]!.end });
      const at = now();
      return new Map(bots.map((bot) => [bot.id, days.map((day) => uptimeFigures(history.get(bot.id)!, day, at))]));
    },
  };
}
export type UptimeReports = ReturnType<typeof createUptimeReports>;
