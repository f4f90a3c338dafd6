// One Prometheus registry per app instance, every metric defined once with the names of docs/observability.md "Metrics".
// Gauges of database facts read the database in their collect() so every instance reports the same
// truth: the fleet gauges (connections by status, stale count, versions) in
// src/observability/fleet-metrics.ts, the outbox and storm gauges in src/observability/alert-metrics.ts.
import client from 'prom-client';
import { PROBE_RESULTS } from './domain/probe-diagnosis.ts';

export const METRIC = {
  heartbeats: 'agentdesk_heartbeats_total',
  heartbeatDuration: 'agentdesk_heartbeat_duration_seconds',
  httpDuration: 'http_request_duration_seconds',
  connections: 'agentdesk_connections',
  staleConnections: 'agentdesk_stale_connections',
  pluginVersions: 'agentdesk_plugin_versions',
  wpVersions: 'agentdesk_wp_versions',
  alertEmails: 'agentdesk_alert_emails_total',
  outboxPending: 'agentdesk_outbox_pending',
  notifications: 'agentdesk_notifications_total',
  sweepDuration: 'agentdesk_sweep_duration_seconds',
  sweepLastSuccess: 'agentdesk_sweep_last_success_timestamp_seconds',
  stormIncidentActive: 'agentdesk_storm_incident_active',
  probes: 'agentdesk_probes_total',
  probeDuration: 'agentdesk_probe_duration_seconds',
  digestSites: 'agentdesk_digest_sites',
  alertDelay: 'agentdesk_alert_delay_seconds',
  pluginVersionSites: 'agentdesk_plugin_version_sites',
  pluginReleaseFirstServed: 'agentdesk_plugin_release_first_served_timestamp_seconds',
  sitesByPluginBranch: 'agentdesk_sites_plugin_branch',
  sitesByWordpressBranch: 'agentdesk_sites_wordpress_branch',
  sitesByPhpBranch: 'agentdesk_sites_php_branch',
  sitesByCronMode: 'agentdesk_sites_cron_mode',
  sitesByEnvironment: 'agentdesk_sites_environment',
  sitesAttention: 'agentdesk_sites_attention',
} as const;

export const HEARTBEAT_RESULTS = ['accepted', 'invalid_token', 'bot_disabled', 'invalid_body', 'rate_limited', 'unavailable'] as const;
export type HeartbeatResultLabel = (typeof HEARTBEAT_RESULTS)[number];

export function createMetrics() {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry });

  const heartbeats = new client.Counter({
    name: METRIC.heartbeats,
    help: 'Heartbeats received from WordPress plugins, by result.',
    labelNames: ['result'] as const,
    registers: [registry],
  });
  // Start every result at zero so rate() and error-ratio alerts have series from the first scrape.
  for (const result of HEARTBEAT_RESULTS) heartbeats.inc({ result }, 0);

  const heartbeatDuration = new client.Histogram({
    name: METRIC.heartbeatDuration,
    help: 'Server-side latency of the heartbeat endpoint, in seconds.',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });

  const httpDuration = new client.Histogram({
    name: METRIC.httpDuration,
    help: 'HTTP request latency in seconds, by method, route pattern and status code.',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });

  const probes = new client.Counter({
    name: METRIC.probes,
    help: 'Silent sites nudged and judged, by result: woke, site_down, plugin_silent, probe_blocked, not_probed.',
    labelNames: ['result'] as const,
    registers: [registry],
  });
  // Every result from zero, so a rise in site_down is a rate from the first scrape.
  for (const result of PROBE_RESULTS) probes.inc({ result }, 0);

  const probeDuration = new client.Histogram({
    name: METRIC.probeDuration,
    help: 'Duration of nudge requests to silent sites (resolution to last byte), in seconds.',
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });

  return { registry, heartbeats, heartbeatDuration, httpDuration, probes, probeDuration };
}

export type Metrics = ReturnType<typeof createMetrics>;
