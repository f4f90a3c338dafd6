// A client's public status page (docs/clients.md "Status pages"), read by its secret link: each
// site's state in plain words, maintenance in progress, 90 days of daily bars and the current
// incidents with our diagnosis. Never a token, an owner's email or another client's site; the
// sites' addresses only when the owner ticked "show addresses". Unknown or revoked key: undefined.
import { hashSecret, isStatusPageKeyShape } from '../accounts/credentials.ts';
import type { BotService } from '../bots/bot-service.ts';
import type { Queryable } from '../db/database.ts';
import { findClientByStatusKey } from '../db/clients.ts';
import { effectiveStatus } from '../domain/connection-status.ts';
import { badgeState, dayBar, DIAGNOSIS_WORDS, PUBLIC_STATE_WORDS, publicState, type BadgeState, type DayBar, type PublicState } from '../domain/public-status.ts';
import { combineUptime, lastDays } from '../domain/uptime.ts';
import { currentDiagnosis } from '../domain/probe-diagnosis.ts';
import type { UptimeReports } from '../reports/uptime-reports.ts';

/** Days of history a status page shows. */
export const STATUS_PAGE_DAYS = 90;
/** At most this many sites on one page (a client with more is shown its first ones, oldest first). */
export const STATUS_PAGE_MAX_SITES = 500;

export interface StatusPageSite {
  name: string;
  url: string | null;
  state: PublicState;
  words: string;
  maintenanceUntil: Date | null;
  /** Down since (the last heartbeat) and what our probe found, while down. */
  down: { since: Date | null; diagnosis: string } | null;
  /** Oldest day first. */
  days: Array<{ start: Date; bar: DayBar; uptimePercent: number | null }>;
  uptimePercent: number | null;
}

export interface StatusPage {
  clientName: string;
  timeZone: string;
  status: BadgeState;
  updatedAt: Date;
  sites: StatusPageSite[];
}

export interface StatusPageDeps {
  db: Queryable;
  bots: BotService;
  reports: UptimeReports;
  now?: () => Date;
}

export function createStatusPageService({ db, bots, reports, now = () => new Date() }: StatusPageDeps) {
  return {
    async read(key: string): Promise<StatusPage | undefined> {
      if (!isStatusPageKeyShape(key)) return undefined;
      const client = await findClientByStatusKey(db, hashSecret(key));
      if (!client) return undefined;
      const at = now();
      const owner = { id: client.user_id, timezone: client.timezone };
      const { bots: sites } = await bots.listBotsAfter(client.user_id, { clientId: client.id, limit: STATUS_PAGE_MAX_SITES });
      const days = lastDays(at, client.timezone, STATUS_PAGE_DAYS);
      const daily = await reports.daily(owner, sites, days);
      const shown = sites.map((site): StatusPageSite => {
        const state = publicState({ status: effectiveStatus(site), maintenanceUntil: site.maintenance_until, lastActivity: site.wordpress_last_activity }, at);
        const figures = daily.get(site.id) ?? [];
        return {
          name: site.name,
          url: client.status_page_shows_urls ? site.wordpress_site_url : null,
          state,
          words: PUBLIC_STATE_WORDS[state],
          maintenanceUntil: state === 'maintenance' ? site.maintenance_until : null,
          down: state === 'down' ? { since: site.wordpress_last_activity, diagnosis: DIAGNOSIS_WORDS[currentDiagnosis(site) ?? 'not_probed'] } : null,
          days: days.map((day, i) => ({ start: day.start, bar: dayBar(figures[i]?.up_seconds ?? 0, figures[i]?.downtime_seconds ?? 0), uptimePercent: figures[i]?.uptime_percent ?? null })),
          // The 90 days as one figure: the same sum and rounding as a report's totals.
          uptimePercent: combineUptime(figures).uptime_percent,
        };
      });
      return { clientName: client.name, timeZone: client.timezone, status: badgeState(shown.map((site) => site.state)), updatedAt: at, sites: shown };
    },
  };
}

export type StatusPageService = ReturnType<typeof createStatusPageService>;
