// The fleet gauges (docs/observability.md "Metrics": connections by status, stale count, plugin and WordPress versions).
// Their values come from the database in collect(), so every instance reports the same truth, and
// from the same summary as the admin fleet page (src/db/fleet-summary.ts); one query serves all
// four gauges and is cached for a few seconds, and concurrent scrapes
// share the query in flight.
import client from 'prom-client';
import type { Queryable } from '../db/database.ts';
import { readFleetSummary, type FleetSummary, type VersionCount } from '../db/fleet-summary.ts';
import { CONNECTION_STATUSES } from '../domain/connection-status.ts';
import { METRIC } from '../metrics.ts';

export interface FleetMetricsDeps {
  db: Queryable;
  /** The app's clock: cache age is measured on it as well as on the wall clock. */
  now: () => Date;
  /** How long one summary is reused across scrapes (every instance is scraped every ~15 s). */
  cacheMs?: number;
  /** How long an older summary may still be served while a fresh one is read in the background. */
  serveStaleMs?: number;
  /** Versions with their own label; the rest are summed as "other". */
  topVersions?: number;
  /** Told when the summary cannot be read; the fleet series are then left out of that scrape. */
  onError?: (error: unknown) => void;
}

export const FLEET_CACHE_MS = 5_000;
export const FLEET_SERVE_STALE_MS = 60_000;
export const TOP_VERSIONS = 10;

/**
 * The summary behind the gauges, read at most once per cacheMs however many gauges and scrapes ask:
 * 1. fresher than cacheMs: served as is;
 * 2. older, but younger than serveStaleMs: served as is while one refresh runs in the background,
 *    so a scrape never waits for the full-table query (a second or so at a million bots);
 * 3. older than that, or none yet: the scrape waits for the query (shared by concurrent callers).
 * Age is measured on both the app's clock and the wall clock (tests move the former).
 */
export function createFleetSummaryCache(deps: FleetMetricsDeps) {
  const cacheMs = deps.cacheMs ?? FLEET_CACHE_MS;
  const serveStaleMs = Math.max(cacheMs, deps.serveStaleMs ?? FLEET_SERVE_STALE_MS);
  let cached: { summary: FleetSummary; at: number; clockAt: number } | undefined;
  let inFlight: Promise<FleetSummary> | undefined;

  const refresh = (): Promise<FleetSummary> => {
    const now = deps.now();
    inFlight ??= readFleetSummary(deps.db, { topVersions: deps.topVersions ?? TOP_VERSIONS })
      .then((summary) => {
        cached = { summary, at: Date.now(), clockAt: now.getTime() };
        return summary;
      })
      .catch((error: unknown) => {
        // Reported here, once per failed query, not once per gauge that was waiting for it.
        deps.onError?.(error);
        throw error;
      })
      .finally(() => {
        inFlight = undefined;
      });
    return inFlight;
  };

  return {
    async get(): Promise<FleetSummary> {
      if (cached) {
        const age = Math.max(Date.now() - cached.at, Math.abs(deps.now().getTime() - cached.clockAt));
        if (age < cacheMs) return cached.summary;
        if (age < serveStaleMs) {
          refresh().catch(() => {});
          return cached.summary;
        }
      }
      return refresh();
    },
    /** Resolves once no refresh is running (tests wait for a background refresh with it). */
    async settled(): Promise<void> {
      await inFlight?.catch(() => {});
    },
    /** Forget the cached summary: the next read waits for a fresh one. */
    invalidate() {
      cached = undefined;
    },
  };
}

/**
 * Registers the four fleet gauges on the app's registry (once: a registry that already has them
 * is left alone). Returns the cache so callers can invalidate it.
 */
export function registerFleetMetrics(registry: client.Registry, deps: FleetMetricsDeps) {
  const cache = createFleetSummaryCache(deps);
  if (registry.getSingleMetric(METRIC.connections)) return cache;

  /** The summary for this scrape, or undefined when the database cannot answer (reported by the cache). */
  const load = async (): Promise<FleetSummary | undefined> => {
    try {
      return await cache.get();
    } catch {
      return undefined;
    }
  };

  new client.Gauge({
    name: METRIC.connections,
    help: 'Bots by connection status (never, connected, stale, deactivated, disconnected, disabled), from the database.',
    labelNames: ['status'] as const,
    registers: [registry],
    async collect() {
      const summary = await load();
      this.reset();
      if (!summary) return;
      for (const status of CONNECTION_STATUSES) this.set({ status }, summary.connections[status]);
    },
  });

  new client.Gauge({
    name: METRIC.staleConnections,
    help: 'Active bots the sweep marked stale (silent past their threshold), from the database.',
    registers: [registry],
    async collect() {
      const summary = await load();
      this.reset();
      if (summary) this.set(summary.connections.stale);
    },
  });

  const versionGauge = (name: string, help: string, pick: (summary: FleetSummary) => VersionCount[]) =>
    new client.Gauge({
      name,
      help,
      labelNames: ['version'] as const,
      registers: [registry],
      async collect() {
        const summary = await load();
        // Reset first: a version that left the top N must not linger with its last value.
        this.reset();
        if (!summary) return;
        for (const { version, count } of pick(summary)) this.set({ version }, count);
      },
    });
  versionGauge(
    METRIC.pluginVersions,
    `Connected sites by AgentDesk plugin version (top ${deps.topVersions ?? TOP_VERSIONS}, the rest as "other").`,
    (s) => s.connectedPluginVersions,
  );
  versionGauge(
    METRIC.wpVersions,
    `Connected sites by WordPress version (top ${deps.topVersions ?? TOP_VERSIONS}, the rest as "other").`,
    (s) => s.connectedWpVersions,
  );

  return cache;
}
