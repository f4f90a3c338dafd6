// The owner-alert metrics of docs/observability.md "Metrics". Point-in-time values (outbox backlog, open storm incident)
// read the database in collect(), so every instance reports the same truth; sweep duration and
// last success are observed by the instance that ran the sweep.
import client from 'prom-client';
import type { Queryable } from '../db/database.ts';
import { isIncidentOpen } from '../db/incidents.ts';
import { countPendingByChannelKind, CHANNEL_KINDS } from '../db/channels.ts';
import { METRIC } from '../metrics.ts';
import { ALERT_EMAIL_KINDS, NOTIFICATION_KINDS } from '../domain/alert-keys.ts';

export { ALERT_EMAIL_KINDS, NOTIFICATION_KINDS };

export const ALERT_EMAIL_RESULTS = ['sent', 'retry', 'failed', 'dropped'] as const;

export interface AlertMetricsDeps {
  db: Queryable;
}

/** Defines the alert metrics on this registry; buildApp calls it once per app (a second call throws). */
export function registerAlertMetrics(registry: client.Registry, deps: AlertMetricsDeps) {
  const alertEmails = new client.Counter({
    name: METRIC.alertEmails,
    help: 'Alert emails by kind (stale, recovery, reminder, incident, maintenance_ending, signup_confirmation, attention, uptime_report, account_invitation) and delivery result (sent, retry, failed, dropped).',
    labelNames: ['kind', 'result'] as const,
    registers: [registry],
  });
  for (const kind of ALERT_EMAIL_KINDS) for (const result of ALERT_EMAIL_RESULTS) alertEmails.inc({ kind, result }, 0);

  // Every channel's deliveries; email rows are counted in alert_emails_total too.
  const notifications = new client.Counter({
    name: METRIC.notifications,
    help: 'Alert deliveries by channel kind (email, webhook, slack), kind (stale, recovery, reminder, test) and result (sent, retry, failed, dropped).',
    labelNames: ['channel_kind', 'kind', 'result'] as const,
    registers: [registry],
  });
  for (const channel_kind of CHANNEL_KINDS) for (const kind of NOTIFICATION_KINDS) for (const result of ALERT_EMAIL_RESULTS) notifications.inc({ channel_kind, kind, result }, 0);

  new client.Gauge({
    name: METRIC.outboxPending,
    help: 'Alerts waiting to be delivered (pending or being sent): the series without labels counts all, channel_kind splits them.',
    labelNames: ['channel_kind'] as const,
    registers: [registry],
    async collect() {
      // A scrape must not fail while the database is away: keep the last known values.
      const pending = await countPendingByChannelKind(deps.db).catch(() => undefined);
      if (pending === undefined) return;
      // The unlabelled total keeps the dashboards and rules written before channels working.
      this.set([...pending.values()].reduce((a, b) => a + b, 0));
      for (const kind of CHANNEL_KINDS) this.set({ channel_kind: kind }, pending.get(kind) ?? 0);
    },
  });

  new client.Gauge({
    name: METRIC.stormIncidentActive,
    help: '1 while a storm incident is open (many bots went stale at once; owner mails held), else 0.',
    registers: [registry],
    async collect() {
      const open = await isIncidentOpen(deps.db).catch(() => undefined);
      if (open !== undefined) this.set(open ? 1 : 0);
    },
  });

  const sweepDuration = new client.Histogram({
    name: METRIC.sweepDuration,
    help: 'Duration of stale sweeps run by this instance, in seconds.',
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });

  const sweepLastSuccess = new client.Gauge({
    name: METRIC.sweepLastSuccess,
    help: 'Unix time of the last stale sweep this instance completed (0 until one has).',
    registers: [registry],
  });
  sweepLastSuccess.set(0);

  // ALERT_GROUP_WINDOW (docs/alerts.md "Alert groups"): how many sites each owner mail names, and how long each site's
  // alert waited from the sweep's decision to the mail server accepting it.
  const digestSites = new client.Histogram({
    name: METRIC.digestSites,
    help: 'Sites named in each owner alert email sent, by kind (stale, recovery, reminder).',
    labelNames: ['kind'] as const,
    buckets: [1, 2, 3, 5, 10, 20, 50, 100, 500],
    registers: [registry],
  });

  const alertDelay = new client.Histogram({
    name: METRIC.alertDelay,
    help: 'Seconds from the decision to alert about a site (stale or recovered) to the email about it being sent.',
    labelNames: ['kind'] as const,
    buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600],
    registers: [registry],
  });

  return { alertEmails, notifications, sweepDuration, sweepLastSuccess, digestSites, alertDelay };
}

/** Records a sent owner mail in the digest histograms (its payload lists the sites it names). */
export function observeSentDigest(
  metrics: Partial<Pick<AlertMetrics, 'digestSites' | 'alertDelay'>> | undefined,
  mail: { kind: string; user_id: string | null; payload: Record<string, unknown> },
  sentAt: Date,
): void {
  const sites = mail.payload.sites;
  if (!metrics || !mail.user_id || !Array.isArray(sites)) return;
  metrics.digestSites?.observe({ kind: mail.kind }, sites.length);
  for (const site of sites as Array<{ decided_at?: unknown }>) {
    const decided = typeof site.decided_at === 'string' ? Date.parse(site.decided_at) : NaN;
    if (Number.isFinite(decided)) metrics.alertDelay?.observe({ kind: mail.kind }, Math.max(0, sentAt.getTime() - decided) / 1000);
  }
}

export type AlertMetrics = ReturnType<typeof registerAlertMetrics>;
