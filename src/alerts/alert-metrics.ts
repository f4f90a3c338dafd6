// The owner-alert metrics of spec §8. Point-in-time values (outbox backlog, open storm incident)
// read the database in collect(), so every instance reports the same truth; sweep duration and
// last success are observed by the instance that ran the sweep.
import client from 'prom-client';
import type { Queryable } from '../db/database.ts';
import { isIncidentOpen } from '../db/incidents.ts';
import { countPendingMails } from '../db/outbox.ts';
import { METRIC } from '../metrics.ts';

export const ALERT_EMAIL_KINDS = ['stale', 'recovery', 'reminder', 'incident', 'maintenance_ending'] as const;
export const ALERT_EMAIL_RESULTS = ['sent', 'retry', 'failed', 'dropped'] as const;

export interface AlertMetricsDeps {
  db: Queryable;
}

/** Defines the alert metrics on this registry; buildApp calls it once per app (a second call throws). */
export function registerAlertMetrics(registry: client.Registry, deps: AlertMetricsDeps) {
  const alertEmails = new client.Counter({
    name: METRIC.alertEmails,
    help: 'Alert emails by kind (stale, recovery, reminder, incident, maintenance_ending) and delivery result (sent, retry, failed, dropped).',
    labelNames: ['kind', 'result'] as const,
    registers: [registry],
  });
  for (const kind of ALERT_EMAIL_KINDS) for (const result of ALERT_EMAIL_RESULTS) alertEmails.inc({ kind, result }, 0);

  new client.Gauge({
    name: METRIC.outboxPending,
    help: 'Alert emails waiting to be sent (pending or being sent).',
    registers: [registry],
    async collect() {
      // A scrape must not fail while the database is away: keep the last known value.
      const pending = await countPendingMails(deps.db).catch(() => undefined);
      if (pending !== undefined) this.set(pending);
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

  return { alertEmails, sweepDuration, sweepLastSuccess };
}

export type AlertMetrics = ReturnType<typeof registerAlertMetrics>;
