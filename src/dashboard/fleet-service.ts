// What the admin fleet page shows, computed from the database: the fleet summary shared with the
// Prometheus gauges (src/db/fleet-summary.ts), the share of sites on an outdated plugin, and one
// page of connections. Never imports fastify.
import type { Database } from '../db/database.ts';
import { listFleetPage, type FleetBotRow, type FleetFilter } from '../db/fleet.ts';
import { readFleetSummary, type FleetSummary, type VersionCount } from '../db/fleet-summary.ts';
import { compareVersions, newestVersion } from '../domain/versions.ts';
import { withMaintenanceEnds, type MaintainedBot } from '../bots/bot-maintenance.ts';
import { readSiteHealthGroups } from '../db/site-health-summary.ts';
import { CRON_OVERDUE_AFTER_SECONDS, type AttentionContext } from '../domain/attention.ts';
import { summarizeSiteHealth, type SiteHealthSummary } from '../domain/site-health-summary.ts';

export interface FleetServiceDeps {
  db: Database;
  /** The current plugin release; when unknown, the newest version any site reports. */
  latestPluginVersion?: string;
  now: () => Date;
  /** The attention rules' context: the site-health analytics appear when given. */
  attentionContext?: () => AttentionContext;
}

export interface VersionShare extends VersionCount {
  /** Percent of the sites that report a version, one decimal. */
  share: number;
  outdated: boolean;
}

export interface FleetOverview {
  summary: FleetSummary;
  /** The release sites are compared with, if any is known. */
  latest: string | undefined;
  /** Sites whose last reported plugin is older than `latest`, and their share in percent. */
  outdated: number;
  outdatedShare: number;
  pluginVersions: VersionShare[];
  wpVersions: VersionShare[];
  /** Connected sites by branch, cron mode, environment and attention kind (docs/observability.md). */
  siteHealth: SiteHealthSummary | undefined;
}

const share = (count: number, of: number) => (of ? Math.round((count / of) * 1000) / 10 : 0);

export function createFleetService({ db, latestPluginVersion, now, attentionContext }: FleetServiceDeps) {
  return {
    /** The fleet's counts and version distributions (every site by the version it last reported). */
    async overview(): Promise<FleetOverview> {
      const [summary, groups] = await Promise.all([readFleetSummary(db), attentionContext ? readSiteHealthGroups(db, CRON_OVERDUE_AFTER_SECONDS) : undefined]);
      const plugins = summary.reportedPluginVersions;
      const latest = latestPluginVersion ?? newestVersion(plugins.map((entry) => entry.version));
      const isOutdated = (version: string) => (latest ? compareVersions(version, latest) < 0 : false);
      const reporting = plugins.reduce((sum, entry) => sum + entry.count, 0);
      const wpReporting = summary.reportedWpVersions.reduce((sum, entry) => sum + entry.count, 0);
      const outdated = plugins.filter((entry) => isOutdated(entry.version)).reduce((sum, entry) => sum + entry.count, 0);
      return {
        summary,
        latest,
        outdated,
        outdatedShare: share(outdated, reporting),
        pluginVersions: plugins.map((entry) => ({ ...entry, share: share(entry.count, reporting), outdated: isOutdated(entry.version) })),
        wpVersions: summary.reportedWpVersions.map((entry) => ({ ...entry, share: share(entry.count, wpReporting), outdated: false })),
        siteHealth: groups && attentionContext ? summarizeSiteHealth(groups, attentionContext()) : undefined,
      };
    },

    /** One page of connections, newest activity first, and whether another page follows. */
    async connections(filter: FleetFilter): Promise<{ rows: MaintainedBot<FleetBotRow>[]; hasNext: boolean }> {
      const rows = await listFleetPage(db, { ...filter, limit: filter.limit + 1 });
      // In maintenance as the owner's own pages say it: weekly windows included.
      return { rows: await withMaintenanceEnds(db, rows.slice(0, filter.limit), now()), hasNext: rows.length > filter.limit };
    },
  };
}

export type FleetService = ReturnType<typeof createFleetService>;
