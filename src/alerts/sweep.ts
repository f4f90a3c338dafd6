// The stale sweep (docs/alerts.md "The sweep"). One run holds the sweep lease for its several short
// transactions, so it is idempotent: two instances, a second run or a crash halfway (between
// two of its transactions) never announce anything twice, and the next run finishes the rest.
// Each step below is one function returning its own counts; run() adds them up.
//
//  1. Take the sweep lease (src/db/sweep-lease.ts, a row, so it works through a transaction
//     pooler); if another instance holds it, do nothing. Every transaction below first renews it
//     by its fencing token, and a run whose lease was taken over stops there without writing. It is
//     released at the end of the run, or expires SWEEP_LEASE_MS after its last renewal (a crash).
//  2. queueRecoveries, finishWokenProbes (src/alerts/sweep-recoveries.ts): claim the "stale → …"
//     events the heartbeat path wrote since the last run and close those episodes; for each bot back
//     to connected whose stale mail went out, queue a recovery (one mail per owner listing every
//     recovered site). Probes whose bot reported since they were queued end here: "woke" (a `probe`
//     event, counted) when the nudge had gone out, "cancelled" when the site reported before we sent it.
//  3. passedDeadlines (src/alerts/sweep-deadlines.ts): read ingest_resumed_at; find connected bots
//     silent past stale_after with one indexed range scan, keep those for which
//     now − max(last_activity, ingest_resumed_at) > stale_after + grace (their deadline passed), and
//     put them through the probe gate (src/alerts/probe-gate.ts: queue a nudge → wait PROBE_CONFIRM →
//     judge). Only those it lets through are flipped, with the diagnosis of their probe; with probing
//     off, all of them (not_probed). A flip is a conditional update connected → stale, writing its
//     connection event dated at max(last_activity, ingest_resumed_at) + stale_after and opening an
//     alert episode.
//  4. decideStorm (src/alerts/sweep-incident.ts), the storm guard, decided from the count before
//     anything is flipped: more than STORM_FRACTION of the bots connected before this run, and at
//     least STORM_MIN, newly silent (deadline passed) → open (or extend) the one incident and mail the
//     operator; probes still run and are tagged with the incident. Steps 2 to 4 are one transaction,
//     committed before the first flip, so every batch's stale mails are held by the incident. An open
//     incident ends (endIncident) at the first calm run a full stale_after after its last storm once
//     its probes are judged (counting those this run's flips judge): its held mails are released with
//     the sites still stale, or dropped when none is. The operator gets the breakdown by diagnosis
//     once the incident's probes are judged (assessIncident), and again when it ends.
//  5. flipBatch (src/alerts/sweep-deadlines.ts): the flips of step 3 are committed in batches of
//     SWEEP_BATCH bots in last-activity order, one short transaction each (a heartbeat waits for one
//     batch at most, never for a whole storm), each with the stale mails of its bots: one digest per
//     owner listing their newly stale sites (muted, disabled and unsubscribed excluded), held while an
//     incident is open. With ALERT_GROUP_WINDOW, stale and recovery digests (the account email's and
//     each email contact's and Slack channel's) are groups that an owner's later sites join until the
//     window closes (src/alerts/alert-groups.ts), later batches included; without, an owner whose
//     sites fall in two batches gets a digest for each. A site back before its group is sent leaves
//     it (step 2).
//  6. queueReminders (src/alerts/sweep-reminders.ts): reminders for episodes due one (ALERT_REPEAT
//     after going stale, then every ALERT_REPEAT, for 7 days), one mail per owner. With probing on,
//     each reminder goes through the probe gate like a deadline, then carries the updated diagnosis.
//  7. releaseMaintenanceHolds, queueEndingNotices (src/alerts/maintenance-sweep.ts): a bot in a
//     maintenance window is flipped at its deadline without a nudge, its stale mail waits on the
//     episode (maintenance_held) and its reminders are skipped; once the window is over, the episodes
//     still stale go through the probe gate (as a reminder 0) and are mailed like a deadline. Owners
//     of one-off windows over a day long are mailed a day before they end.
//  8. closeDueGroups: groups (ALERT_GROUP_WINDOW) whose window has ended become pending: the
//     delivery worker sends them.
// Steps 4 (the end of an incident) and 6 to 8 are the run's last transaction.
// Mails are outbox rows (src/alerts/queue-alerts.ts); src/alerts/delivery.ts sends them. They are
// queued on the owner's channels (docs/alerts.md "Channels"): the account email as one digest per
// owner, other channels apart (src/channels/channel-routing.ts).
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Config } from '../config.ts';
import { closeDueGroups } from '../db/alert-groups.ts';
import type { Queryable } from '../db/database.ts';
import { acquireSweepLease, LeaseLostError, releaseSweepLease, renewSweepLease } from '../db/sweep-lease.ts';
import { DEFAULT_FLIP_BATCH, flipBatches } from '../domain/alert-rules.ts';
import { probeGiveUpMs } from '../domain/probe-diagnosis.ts';
import type { AlertLog } from '../mail/alert-types.ts';
import { queueEndingNotices, releaseMaintenanceHolds } from './maintenance-sweep.ts';
import { createProbeGate } from './probe-gate.ts';
import { flipBatch, passedDeadlines } from './sweep-deadlines.ts';
import { assessIncident, decideStorm, endIncident } from './sweep-incident.ts';
import { finishWokenProbes, queueRecoveries } from './sweep-recoveries.ts';
import { queueReminders } from './sweep-reminders.ts';
import type { SweepContext, SweepCounts, SweepDeps, SweepResult } from './sweep-types.ts';

export type { SweepDeps, SweepProgress, SweepResult } from './sweep-types.ts';

/**
 * The sweep lease lasts this long after its last renewal (each transaction of a run renews it).
 * Every instance tries at the same cron tick, so after a holder dies mid-run the lease has expired
 * by the next tick (a minute later with the default SWEEP_CRON) as long as the run was less than
 * half a minute old: another instance sweeps within a minute.
 */
export const SWEEP_LEASE_MS = 30_000;

/** A probe's lease: its timeout and a margin for the database writes around it. */
export const probeLeaseMs = (timeoutMs: number) => timeoutMs + 30_000;

/** The sweep's settings from the configuration. */
export function sweepSettings(config: Config): Omit<SweepDeps, 'db' | 'log'> {
  return {
    staleAfterMs: config.staleAfterMs,
    alertRepeatMs: config.alertRepeatMs,
    stormFraction: config.stormFraction,
    stormMin: config.stormMin,
    operatorEmail: config.operatorEmail,
    alertGroupWindowMs: config.alertGroupWindowMs,
    flipBatch: config.sweepBatch,
    probe: config.probe
      ? { confirmMs: config.probeConfirmMs, giveUpMs: probeGiveUpMs(config.probeTimeoutMs, config.probeConfirmMs, probeLeaseMs(config.probeTimeoutMs)) }
      : undefined,
  };
}

const silentLog: AlertLog = { info() {}, warn() {}, error() {} };

const emptyResult = (): SweepResult => ({
  skipped: false,
  leaseLost: false,
  flipped: 0,
  flipBatches: 0,
  storm: false,
  incidentOpened: false,
  incidentClosed: false,
  staleMails: 0,
  heldMails: 0,
  recoveryMails: 0,
  reminderMails: 0,
  releasedMails: 0,
  droppedMails: 0,
  probesQueued: 0,
  woke: 0,
  maintenanceMails: 0,
  endingNotices: 0,
  groupsJoined: 0,
  groupsClosed: 0,
});

/** Adds a step's counts to the run's result (numbers add up, a flag once set stays set). */
function tally(result: SweepResult, ...counts: SweepCounts[]): void {
  const sums = result as unknown as Record<string, number | boolean>;
  for (const step of counts) {
    for (const [key, value] of Object.entries(step)) {
      sums[key] = typeof value === 'number' ? (sums[key] as number) + value : sums[key] || value === true;
    }
  }
}

export function createSweep(deps: SweepDeps) {
  const log = deps.log ?? silentLog;
  const gate = createProbeGate(deps.probe, (result) => deps.metrics?.probes.inc({ result }));
  const ctx: SweepContext = { deps, log, gate };
  const batchSize = deps.flipBatch ?? DEFAULT_FLIP_BATCH;
  const leaseMs = deps.leaseMs ?? SWEEP_LEASE_MS;
  const holder = deps.holder ?? `${hostname()}/${process.pid}/${randomBytes(4).toString('hex')}`;

  return {
    /** One sweep at `now`; see the numbered steps at the top of this file. */
    async run(now: Date): Promise<SweepResult> {
      const result = emptyResult();
      // 1.
      const term = await acquireSweepLease(deps.db, holder, leaseMs);
      if (!term) return { ...result, skipped: true };
      /** One transaction of this run, fenced: it renews the lease first, or writes nothing. */
      const fenced = <T>(fn: (tx: Queryable) => Promise<T>) =>
        deps.db.transaction(async (tx) => {
          await renewSweepLease(tx, term, leaseMs);
          return fn(tx);
        });
      try {
        const plan = await fenced(async (tx) => {
          // 2.
          tally(result, await queueRecoveries(ctx, tx, now), await finishWokenProbes(ctx, tx, now));
          // 3.
          const deadlines = await passedDeadlines(ctx, tx, now);
          // 4.
          const storm = await decideStorm(ctx, tx, deadlines, now);
          tally(result, deadlines.counts, storm.counts);
          return { ...deadlines, incident: storm.incident, ending: storm.ending };
        });
        // 3. and 5., one short transaction per batch.
        const batches = flipBatches(plan.flips, batchSize);
        for (const batch of batches) {
          tally(result, await fenced((tx) => flipBatch(ctx, tx, batch, plan, now)));
          await deps.onBatch?.({ batch: result.flipBatches, batches: batches.length, flipped: result.flipped });
        }
        await fenced(async (tx) => {
          // 4., its end.
          if (plan.ending) tally(result, await endIncident(ctx, tx, plan.ending, now));
          else if (plan.incident) tally(result, await assessIncident(ctx, tx, plan.incident, now));
          // 6.
          tally(result, await queueReminders(ctx, tx, now));
          // 7.
          tally(result, await releaseMaintenanceHolds(ctx, tx, now, plan.incident), await queueEndingNotices(tx, now));
          // 8.
          tally(result, { groupsClosed: await closeDueGroups(tx, now) });
        });
        return result;
      } catch (error) {
        if (!(error instanceof LeaseLostError)) throw error;
        // What committed before is consistent (each transaction is); the new holder does the rest.
        log.warn({ token: term.token }, 'sweep lease taken over by another instance: this sweep stops');
        return { ...result, leaseLost: true };
      } finally {
        // Also after a failure, so the next run need not wait for the lease to expire. If the
        // database is unreachable the lease simply expires.
        await releaseSweepLease(deps.db, term).catch((error: Error) => log.warn({ err: error }, 'sweep lease not released: it expires by itself'));
      }
    },
  };
}

export type Sweep = ReturnType<typeof createSweep>;
