// The fleet's site-health gauges (docs/observability.md, "Site health across the fleet"): connected
// sites by plugin, WordPress and PHP branch (major.minor), WP-Cron mode and environment, at most
// 20 series per label (the rest "other"), and sites per kind of attention item. One query serves
// all six, read from the database at scrape time (every instance reports the same truth) and
// reused for SITE_HEALTH_CACHE_MS, since it scans the connected bots; concurrent scrapes share it.
import client from 'prom-client';
import type { Queryable } from '../db/database.ts';
import { readSiteHealthGroups } from '../db/site-health-summary.ts';
import { ATTENTION_KINDS, CRON_OVERDUE_AFTER_SECONDS, type AttentionContext } from '../domain/attention.ts';
import { summarizeSiteHealth, type LabelCount, type SiteHealthSummary } from '../domain/site-health-summary.ts';
import { METRIC } from '../metrics.ts';

/** How long one summary is reused: these distributions move over days, and the query scans the connected bots. */
export const SITE_HEALTH_CACHE_MS = 60_000;

export interface SiteHealthMetricsDeps {
  db: Queryable;
  /** The attention rules' version tables, release and clock (AttentionService.context). */
  context: () => AttentionContext;
  cacheMs?: number;
  onError?: (error: unknown) => void;
}

/** Reads the summary at most once per cacheMs (on the wall clock and the rules' clock alike). */
export function createSiteHealthCache({ db, context, cacheMs = SITE_HEALTH_CACHE_MS }: Omit<SiteHealthMetricsDeps, 'onError'>) {
  let cached: { summary: SiteHealthSummary; at: number; clockAt: number } | undefined;
  let inFlight: Promise<SiteHealthSummary> | undefined;
  return {
    async get(): Promise<SiteHealthSummary> {
      const ctx = context();
      if (cached && Math.max(Date.now() - cached.at, Math.abs(ctx.now.getTime() - cached.clockAt)) < cacheMs) return cached.summary;
      inFlight ??= readSiteHealthGroups(db, CRON_OVERDUE_AFTER_SECONDS)
        .then((groups) => {
          const summary = summarizeSiteHealth(groups, ctx);
          cached = { summary, at: Date.now(), clockAt: ctx.now.getTime() };
          return summary;
        })
        .finally(() => {
          inFlight = undefined;
        });
      return inFlight;
    },
  };
}

export function registerSiteHealthMetrics(registry: client.Registry, deps: SiteHealthMetricsDeps): void {
  if (registry.getSingleMetric(METRIC.sitesAttention)) return;
  const cache = createSiteHealthCache(deps);
  const load = async (): Promise<SiteHealthSummary | undefined> => {
    try {
      return await cache.get();
    } catch (error) {
      deps.onError?.(error);
      return undefined;
    }
  };
  const gauge = (name: string, label: string, help: string, pick: (summary: SiteHealthSummary) => LabelCount[]) =>
    new client.Gauge({
      name,
      help,
      labelNames: [label],
      registers: [registry],
      async collect() {
        const summary = await load();
        // Reset first: a value that left the top 20 must not linger with its last count.
        this.reset();
        if (!summary) return;
        for (const { value, count } of pick(summary)) this.set({ [label]: value }, count);
      },
    });
  gauge(METRIC.sitesByPluginBranch, 'version', 'Connected sites by AgentDesk plugin version (major.minor; top 19, "other", "unknown").', (s) => s.pluginBranches);
  gauge(METRIC.sitesByWordpressBranch, 'version', 'Connected sites by WordPress version (major.minor; top 19, "other", "unknown").', (s) => s.wpBranches);
  gauge(METRIC.sitesByPhpBranch, 'version', 'Connected sites by PHP version (major.minor; top 19, "other", "unknown": a plugin before 1.2).', (s) => s.phpBranches);
  gauge(METRIC.sitesByCronMode, 'mode', 'Connected sites by how WP-Cron runs (wp-cron, alternate, system, disabled, unknown).', (s) => s.cronModes);
  gauge(METRIC.sitesByEnvironment, 'environment', 'Connected sites by wp_get_environment_type() (top 19, "other", "unknown").', (s) => s.environments);
  gauge(METRIC.sitesAttention, 'kind', 'Connected sites with an attention item of each kind (docs/attention.md); every kind present.', (s) =>
    ATTENTION_KINDS.map((kind) => ({ value: kind, count: s.attention[kind] })),
  );
}
