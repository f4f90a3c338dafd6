// The alert jobs of one instance, started by src/main.ts (never by buildApp, which tests use):
// the ingest liveness stamp, the node-cron sweep (which every instance schedules; the sweep lease
// lets one run at a time), the probe worker (nudges the sweep queued) and the outbox
// delivery worker. stop() waits for a run in progress.
import cron from 'node-cron';
import type { Config } from '../config.ts';
import type { Database } from '../db/database.ts';
import type { ServerSecret } from '../http/server-secret.ts';
import type { AlertMetrics } from '../observability/alert-metrics.ts';
import { createAlertPipeline } from './alert-pipeline.ts';
import { INGEST_ALIVE_INTERVAL_MS, markIngestAlive } from './ingest-liveness.ts';
import type { AlertLog } from '../mail/alert-types.ts';
import type { Metrics } from '../metrics.ts';
import { pruneProbeHosts } from '../db/probes.ts';
import { maintainHistoryPartitions } from '../db/history-partitions.ts';
import { createDigestJob, DIGEST_JOB_INTERVAL_MS, type DigestJobDeps } from '../attention/digest-job.ts';
import { createMonthlyReports } from '../reports/monthly-reports.ts';
import { createUptimeReports } from '../reports/uptime-reports.ts';

/** How often the delivery worker looks for due mails between sweeps (retries, other instances' mails). */
export const DELIVERY_INTERVAL_MS = 10_000;

export interface AlertJobsDeps {
  db: Database;
  config: Config;
  metrics: AlertMetrics;
  /** The app's metrics (probe counts and durations). */
  appMetrics: Pick<Metrics, 'probes' | 'probeDuration'>;
  /** The app's server secret (app.serverSecret): mails carry links it signs. */
  secret: Pick<ServerSecret, 'ensure'>;
  log: AlertLog;
  now?: () => Date;
  /** The attention rules (app.attention): the weekly digest job runs beside the sweep when given. */
  attention?: DigestJobDeps['attention'];
}

export async function startAlertJobs(deps: AlertJobsDeps) {
  const { db, config, metrics, log } = deps;
  const now = deps.now ?? (() => new Date());
  // SWEEP_CRON was validated by loadConfig (src/config.ts).
  const { transport, sweep, probeWorker: probes, delivery } = await createAlertPipeline({
    config,
    db,
    metrics: deps.appMetrics,
    alertMetrics: metrics,
    serverSecret: deps.secret,
    now,
    log,
  });
  if (config.probeAllowPrivate) {
    log.warn({}, 'PROBE_ALLOW_PRIVATE=true: outbound requests (site probes, webhooks, Slack) may reach loopback and private addresses; for tests and intranets only');
  }
  if (!config.probe) log.info({}, 'PROBE=off: silent sites are flagged stale at their deadline without a nudge');

  const monthlyReports = createMonthlyReports({ db, reports: createUptimeReports({ db, now }) });

  const inFlight = new Set<Promise<unknown>>();
  const track = <T>(promise: Promise<T>): Promise<T> => {
    inFlight.add(promise);
    void promise.finally(() => inFlight.delete(promise)).catch(() => {});
    return promise;
  };

  const maintainHistory = async () => {
    const result = await maintainHistoryPartitions(db, now());
    if (result.created.length || result.dropped.length) log.info({ created: result.created, dropped: result.dropped }, 'history partitions maintained');
    for (const failure of result.failed) log.warn({ partition: failure.partition, error: failure.error }, 'history partition change failed; tried again at the next sweep');
  };

  const stampAlive = async () => {
    if (await markIngestAlive(db, now())) log.warn({}, 'ingest resumes after downtime: stale timers restart now');
  };
  await stampAlive();
  // The dated partitions exist from the start (a fresh migration leaves only the default ones).
  await maintainHistory().catch((error: Error) => log.warn({ err: error }, 'history partitions not maintained'));

  let probing: Promise<unknown> | undefined;
  const probe = () => {
    probing ??= track(
      probes
        .runDue()
        .catch((error: Error) => log.error({ err: error }, 'site probes failed'))
        .finally(() => {
          probing = undefined;
        }),
    );
    return probing;
  };

  let delivering: Promise<unknown> | undefined;
  const deliver = () => {
    delivering ??= track(
      delivery
        .deliverDue(now())
        .catch((error: Error) => log.error({ err: error }, 'alert delivery failed'))
        .finally(() => {
          delivering = undefined;
        }),
    );
    return delivering;
  };

  const digest = deps.attention ? createDigestJob({ db, attention: deps.attention }) : undefined;
  let digestRanAt = 0;
  const runDigest = async () => {
    if (now().getTime() - digestRanAt < DIGEST_JOB_INTERVAL_MS) return;
    digestRanAt = now().getTime();
    try {
      const result = await digest?.run(now());
      if (result?.decided) log.info({ ...result }, 'weekly attention digests decided');
    } catch (error) {
      log.error({ err: error }, 'weekly attention digest failed');
    }
  };

  const runSweep = async () => {
    const started = process.hrtime.bigint();
    try {
      // Stamp first: after a database outage the gap is seen before any bot is judged.
      await stampAlive();
      const result = await sweep.run(now());
      if (result.leaseLost) log.warn({ ...result }, 'sweep stopped: another instance took the sweep lease over');
      else if (!result.skipped) {
        metrics.sweepDuration.observe(Number(process.hrtime.bigint() - started) / 1e9);
        metrics.sweepLastSuccess.set(now().getTime() / 1000);
        if (result.flipped || result.recoveryMails || result.reminderMails || result.incidentClosed || result.probesQueued || result.woke || result.groupsClosed) {
          log.info({ ...result }, 'sweep done');
        }
        // The instance that swept also keeps the history bounded: partitions ahead, whole days dropped.
        await maintainHistory();
        await pruneProbeHosts(db, now());
        // ... and queues the monthly uptime reports once a month is over (docs/reports.md "By mail").
        const reportsQueued = await monthlyReports.queueDue(now());
        if (reportsQueued > 0) log.info({ reportsQueued }, 'monthly uptime reports queued');
      }
    } catch (error) {
      log.error({ err: error }, 'sweep failed');
    }
    // Weekly digests are their own outbox rows, never part of a stale alert (docs/attention.md).
    await runDigest();
    // Probes run beside delivery, so a slow site never delays a mail.
    await Promise.all([probe(), deliver()]);
  };

  const cronLogger = {
    info: (message: string) => log.info({}, message),
    warn: (message: string) => log.warn({}, message),
    error: (message: string | Error) => log.error({ err: message }, 'sweep scheduler error'),
    debug: () => {},
  };
  const task = cron.schedule(config.sweepCron, () => track(runSweep()), { name: 'agentdesk-sweep', noOverlap: true, logger: cronLogger });
  const livenessTimer = setInterval(() => void track(stampAlive().catch((error: Error) => log.warn({ err: error }, 'ingest liveness stamp failed'))), INGEST_ALIVE_INTERVAL_MS);
  const deliveryTimer = setInterval(() => {
    void deliver();
    void probe();
  }, DELIVERY_INTERVAL_MS);
  livenessTimer.unref();
  deliveryTimer.unref();
  log.info({ cron: config.sweepCron, mail: transport.description }, 'alert jobs started');

  return {
    async stop() {
      await task.stop();
      await task.destroy();
      clearInterval(livenessTimer);
      clearInterval(deliveryTimer);
      await Promise.allSettled([...inFlight]);
      transport.close();
    },
  };
}
