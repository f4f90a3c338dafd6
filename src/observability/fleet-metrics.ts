// The fleet gauges of spec §8 (connections by status, stale count, plugin and WordPress versions).
// Their values come from the database in collect(), so every instance reports the same truth; one
// summary query serves all four gauges and is cached for a few seconds, and concurrent scrapes
// share the query in flight.
import client from 'prom-client';
import type { Queryable } from '../db/database.ts';
import { readFleetSummary, type FleetSummary } from '../db/fleet-summary.ts';
import { CONNECTION_STATUSES } from '../domain/connection-status.ts';
import { METRIC } from '../metrics.ts';

export interface FleetMetricsDeps {
  db: Queryable;
  now: () => Date;
  staleAfterMs: number;
  /** How long one summary is reused across scrapes (every instance is scraped every ~15 s). */
  cacheMs?: number;
  /** Versions with their own label; the rest are summed as "other". */
  topVersions?: number;
  /** Told when the summary cannot be read; the fleet series are then left out of that scrape. */
  onError?: (error: unknown) => void;
}

export const FLEET_CACHE_MS = 5_000;
export const TOP_VERSIONS = 10;

/** Returns the cached summary, querying at most once per cacheMs (measured on the app's clock and the wall clock). */
export function createFleetSummaryCache(deps: FleetMetricsDeps) {
  const cacheMs = deps.cacheMs ?? FLEET_CACHE_MS;
  let cached: { summary: FleetSummary; at: number; clockAt: number } | undefined;
  let inFlight: Promise<FleetSummary> | undefined;

  return {
    async get(): Promise<FleetSummary> {
      const now = deps.now();
      // Both clocks must agree that the entry is fresh: tests move the app clock, production the wall clock.
      if (cached && Date.now() - cached.at < cacheMs && Math.abs(now.getTime() - cached.clockAt) < cacheMs) return cached.summary;
      inFlight ??= readFleetSummary(deps.db, { now, staleAfterMs: deps.staleAfterMs, topVersions: deps.topVersions ?? TOP_VERSIONS })
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
    },
    /** Forget the cached summary (tests; an admin action that changes the fleet). */
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
    help: 'Bots by connection status (never, connected, stale, deactivated, disabled), from the database.',
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
    help: 'Active bots silent for longer than their stale threshold, from the database.',
    registers: [registry],
    async collect() {
      const summary = await load();
      this.reset();
      if (summary) this.set(summary.connections.stale);
    },
  });

  const versionGauge = (name: string, help: string, pick: (summary: FleetSummary) => Map<string, number>) =>
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
        for (const [version, count] of pick(summary)) this.set({ version }, count);
      },
    });
  versionGauge(
    METRIC.pluginVersions,
    `Connected sites by AgentDesk plugin version (top ${deps.topVersions ?? TOP_VERSIONS}, the rest as "other").`,
    (s) => s.pluginVersions,
  );
  versionGauge(
    METRIC.wpVersions,
    `Connected sites by WordPress version (top ${deps.topVersions ?? TOP_VERSIONS}, the rest as "other").`,
    (s) => s.wpVersions,
  );

  return cache;
}
