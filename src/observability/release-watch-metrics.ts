// The release watch gauges (docs/observability.md, "Release watch"): connected and stale sites per
// plugin version (major.minor, at most 20 series), and when the service first served each plugin
// release. The rule AgentDeskPluginReleaseSilent (prometheus/alerts.yml) compares them: a version
// released in the last 7 days whose sites are stale at more than 3× the rate of the rest.
// Values come from the database in collect(), so every instance reports the same truth.
import client from 'prom-client';
import type { Queryable } from '../db/database.ts';
import { readPluginVersionStatusCounts, readReleasesServed, recordReleaseServed } from '../db/release-watch.ts';
import { foldVersion, foldVersionCounts } from '../domain/release-watch.ts';
import { METRIC } from '../metrics.ts';

export const RELEASE_WATCH_METRIC = { sites: METRIC.pluginVersionSites, firstServed: METRIC.pluginReleaseFirstServed } as const;

export interface ReleaseWatchDeps {
  db: Queryable;
  now: () => Date;
  /** The plugin release this instance serves; undefined when its files are unreadable. */
  servedVersion: string | undefined;
  onError?: (error: unknown) => void;
}

export function registerReleaseWatchMetrics(registry: client.Registry, { db, now, servedVersion, onError }: ReleaseWatchDeps): void {
  if (registry.getSingleMetric(RELEASE_WATCH_METRIC.sites)) return;
  // Written once per instance start (at its first scrape, so a database down at start delays it).
  let recorded = false;

  new client.Gauge({
    name: RELEASE_WATCH_METRIC.sites,
    help: 'Connected and stale sites by AgentDesk plugin version (major.minor; top 19 and "other"), from the database.',
    labelNames: ['version', 'status'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      try {
        for (const sites of foldVersionCounts(await readPluginVersionStatusCounts(db))) {
          this.set({ version: sites.version, status: 'connected' }, sites.connected);
          this.set({ version: sites.version, status: 'stale' }, sites.stale);
        }
      } catch (error) {
        onError?.(error);
      }
    },
  });

  new client.Gauge({
    name: RELEASE_WATCH_METRIC.firstServed,
    help: 'When this service first served each plugin release (major.minor: its latest release), as a Unix time.',
    labelNames: ['version'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      if (!servedVersion) return;
      try {
        if (!recorded) await recordReleaseServed(db, servedVersion, now());
        recorded = true;
        const served = await readReleasesServed(db);
        const latest = new Map<string, number>();
        for (const [version, at] of served) {
          const folded = foldVersion(version);
          latest.set(folded, Math.max(latest.get(folded) ?? 0, at.getTime() / 1000));
        }
        // Bounded like the sites gauge: the newest releases only.
        for (const [version, seconds] of [...latest].sort((a, b) => b[1] - a[1]).slice(0, 20)) this.set({ version }, seconds);
      } catch (error) {
        onError?.(error);
      }
    },
  });
}
