// The stale sweep (docs/alerts.md "The sweep"). One run holds the sweep lease for its several short
// transactions, so it is idempotent: two instances, a second run or a crash halfway (between
// two of its transactions) never announce anything twice, and the next run finishes the rest.
//
//  1. Take the sweep lease (src/db/sweep-lease.ts, a row, so it works through a transaction
//     pooler); if another instance holds it, do nothing. Every transaction below first renews it
//     by its fencing token, and a run whose lease was taken over stops there without writing. It is
//     released at the end of the run, or expires SWEEP_LEASE_MS after its last renewal (a crash).
//  2. Claim the "stale → …" events the heartbeat path wrote since the last run and close those
//     episodes; for each bot back to connected whose stale mail went out, queue a recovery
//     (one mail per owner listing every recovered site).
//     Probes whose bot reported since they were queued end here: "woke" (a `probe` event, counted)
//     when the nudge had gone out, "cancelled" when the site reported before we sent it.
//  3. Read ingest_resumed_at; find connected bots silent past stale_after with one indexed range
//     scan, keep those for which now − max(last_activity, ingest_resumed_at) > stale_after + grace
//     (their deadline passed). With probing on, queue a nudge for each that has none and
//     leave it connected; flip only those whose probe answered PROBE_CONFIRM ago with no heartbeat
//     since, with the diagnosis of that answer. With probing off, flip them all (not_probed).
//     A flip is a conditional update connected → stale, writing its connection event dated at
//     max(last_activity, ingest_resumed_at) + stale_after and opening an alert episode.
//  4. Storm guard, decided from the count before anything is flipped: more than STORM_FRACTION of
//     the bots connected before this run, and at least STORM_MIN, newly silent (deadline passed) →
//     open (or extend) the one incident and mail the operator; probes still run and are tagged with
//     the incident. Steps 2 to 4 are one transaction, committed before the first flip, so every
//     batch's stale mails are held by the incident. An open incident ends at the first calm run a
//     full stale_after after its last storm once its probes are judged (counting those this run's
//     flips judge): its held mails are released with the sites still stale, or dropped when none
//     is. The operator gets the breakdown by diagnosis once the incident's probes are judged, and
//     again when it ends.
//  5. The flips of step 3 are committed in batches of SWEEP_BATCH bots in last-activity order, one
//     short transaction each (a heartbeat waits for one batch at most, never for a whole storm),
//     each with the stale mails of its bots: one digest per owner listing their newly stale sites
//     (muted, disabled and unsubscribed excluded), held while an incident is open. With
//     ALERT_GROUP_WINDOW, stale and recovery digests (the account email's and each email contact's
//     and Slack channel's) are groups that an owner's later sites join until the window closes
//     (src/alerts/alert-groups.ts), later batches included; without, an owner whose sites fall in
//     two batches gets a digest for each. A site back before its group is sent leaves it (step 2).
//  6. Queue reminders for episodes due one (ALERT_REPEAT after going stale, then every
//     ALERT_REPEAT, for 7 days), one mail per owner. With probing on, each reminder first re-probes
//     the site and waits for that probe like a deadline does, then carries the updated diagnosis.
//  7. Maintenance windows (src/alerts/maintenance-sweep.ts): a bot in a window is flipped
//     at its deadline without a nudge, its stale mail waits on the episode (maintenance_held) and its
//     reminders are skipped; once the window is over, the episodes still stale are re-probed (as a
//     reminder 0) and mailed like a deadline. Owners of one-off windows over a day long are mailed
//     a day before they end.
//  8. Groups (ALERT_GROUP_WINDOW) whose window has ended become pending: the delivery worker sends them.
// Steps 4 (the end of an incident) and 6 to 8 are the run's last transaction.
// Mails are outbox rows; src/alerts/delivery.ts sends them. Steps 2, 5 and 6 queue them on the
// owner's channels (docs/alerts.md "Channels"): the account email as one digest per owner, other channels apart
// (src/channels/channel-routing.ts).
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Config } from '../config.ts';
import type { Database, Queryable } from '../db/database.ts';
import { countConnectedBots, selectStaleCandidates, type AlertBotRow } from '../db/bots.ts';
import { closeEpisodesFromEvents, flipStale, selectDueReminders, updateReminderSchedule } from '../db/episodes.ts';
import { acquireSweepLease, LeaseLostError, releaseSweepLease, renewSweepLease } from '../db/sweep-lease.ts';
import { closeIncident, extendIncident, findOpenIncident, openIncident, type IncidentRow } from '../db/incidents.ts';
import {
  enqueueMail,
  enqueueOutboxRows,
  releaseHeldMail,
  selectHeldMails,
  selectHeldNotifications,
  type NewNotification,
  type AlertOutboxKind,
} from '../db/outbox.ts';
import {
  countOpenIncidentProbes,
  finishReportedProbes,
  insertProbes,
  probeBreakdown,
  recordDiagnoses,
  recordWokenBots,
  selectEpisodeDiagnoses,
  selectOpenDeadlineProbes,
  selectReminderProbes,
  selectSiteUrls,
  tagProbesWithIncident,
  type JudgedProbe,
  type ProbeRow,
} from '../db/probes.ts';
import { DEFAULT_FLIP_BATCH, flipBatches, groupByOwner, incidentEnds, isStale, isStorm, mayNotify, reminderDue, staleAt, staleCandidateCutoff } from '../domain/alert-rules.ts';
import { answerOf, judgeProbe, nudgeUrl, probeGiveUpMs, probeReady, type Diagnosis, type ProbeResult } from '../domain/probe-diagnosis.ts';
import type { Metrics } from '../metrics.ts';
import { closeDueGroups, withdrawFromOpenGroups } from '../db/alert-groups.ts';
import { alertGroupKey, incidentMailKey, isGroupedKind, ownerDigestKey, siteNotificationKey } from '../domain/alert-keys.ts';
import { enqueueGrouped } from './alert-groups.ts';
import { readIngestResumedAt } from './ingest-liveness.ts';
import { routeToChannels } from '../channels/channel-routing.ts';
import type { AlertLog, SitePayload } from '../mail/alert-types.ts';
import { holdEpisodesForMaintenance, releaseEpisodes, selectHeldEpisodes } from '../db/maintenance.ts';
import { botsInMaintenance, MAINTENANCE_DETAIL, queueEndingNotices } from './maintenance-sweep.ts';


export interface SweepDeps {
  db: Database;
  staleAfterMs: number;
  alertRepeatMs: number;
  stormFraction: number;
  stormMin: number;
  operatorEmail?: string;
  log?: AlertLog;
  /** Nudge and probe before flipping; undefined = PROBE=off. */
  probe?: { confirmMs: number; giveUpMs: number };
  metrics?: Pick<Metrics, 'probes'>;
  /** ALERT_GROUP_WINDOW: stale and recovery digests gather an owner's sites for this long (0 = send at the sweep). */
  alertGroupWindowMs?: number;
  /** SWEEP_BATCH: bots flipped per transaction (default DEFAULT_FLIP_BATCH). */
  flipBatch?: number;
  /** Called after each committed batch of flips, before the next one (tests stop or watch a sweep there). */
  onBatch?: (progress: SweepProgress) => void | Promise<void>;
  /** The sweep lease's length (default SWEEP_LEASE_MS). */
  leaseMs?: number;
  /** This instance's name in the lease (default host/pid/random). */
  holder?: string;
}

export interface SweepProgress {
  /** Batches committed so far, and in this run. */
  batch: number;
  batches: number;
  /** Bots flipped so far in this run. */
  flipped: number;
}

/**
 * The sweep lease lasts this long after its last renewal (each transaction of a run renews it).
 * Every instance tries at the same cron tick, so after a holder dies mid-run the lease has expired
 * by the next tick (a minute later with the default SWEEP_CRON) as long as the run was less than
 * half a minute old: another instance sweeps within a minute.
 */
export const SWEEP_LEASE_MS = 30_000;

/** A probe's lease: its timeout and a margin for the database writes around it. */
export const probeLeaseMs = (timeoutMs: number) => timeoutMs + 30_000;
const PROBING_OFF = 'probing is turned off on this AgentDesk service (PROBE=off)';

export interface SweepResult {
  /** Another instance held the sweep lease. */
  skipped: boolean;
  /** Another instance took the lease over during this run, which stopped before its next write. */
  leaseLost: boolean;
  flipped: number;
  /** Transactions the flips were committed in. */
  flipBatches: number;
  storm: boolean;
  incidentOpened: boolean;
  incidentClosed: boolean;
  staleMails: number;
  heldMails: number;
  recoveryMails: number;
  reminderMails: number;
  releasedMails: number;
  droppedMails: number;
  /** Nudges queued for sites whose deadline passed in this run. */
  probesQueued: number;
  /** Sites a nudge woke (they stay connected, nobody is told). */
  woke: number;
  /** Stale mails of sites that stayed silent through a maintenance window, queued when it ended. */
  maintenanceMails: number;
  /** "Your maintenance window ends in a day" mails. */
  endingNotices: number;
  /** Digests (stale or recovery, owner mails and channel messages) that sites joined instead of a new row (ALERT_GROUP_WINDOW). */
  groupsJoined: number;
  /** Groups whose window ended in this run, now due to be sent. */
  groupsClosed: number;
}


interface Item {
  userId: string;
  site: SitePayload;
  notification: NewNotification;
}

const silentLog: AlertLog = { info() {}, warn() {}, error() {} };

/** One bot's line in a mail, with the notification (bot, episode, kind) it carries. */
function itemFor(
  row: AlertBotRow & { episode_id: number; last_seen_at: Date },
  kind: NewNotification['kind'],
  extra: Pick<SitePayload, 'recovered_at' | 'reminder' | 'diagnosis' | 'diagnosis_detail'> = {},
): Item {
  return {
    userId: row.user_id,
    site: {
      id: row.bot_id,
      name: row.name,
      site_url: row.site_url,
      plugin_version: row.plugin_version,
      last_seen_at: row.last_seen_at.toISOString(),
      ...extra,
    },
    notification: { dedupeKey: siteNotificationKey(kind, row.bot_id, row.episode_id, extra.reminder), kind, botId: row.bot_id, episodeId: row.episode_id },
  };
}

const recipientOf = (row: AlertBotRow) => ({ botActive: row.is_active, mutedUntil: row.muted_until, ownerAlertEmails: row.alert_emails });

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

export function createSweep(deps: SweepDeps) {
  const log = deps.log ?? silentLog;

  /**
   * Queues these items on their channels (src/channels/channel-routing.ts): the account
   * email as one digest per owner, other channels as routed. With ALERT_GROUP_WINDOW > 0, stale and
   * recovery digests (the account email's, email contacts' and Slack's) are added to the open group
   * of the owner or channel instead (src/alerts/alert-groups.ts); webhooks and escalating stale
   * alerts get rows of their own at once. Returns how many rows were queued.
   */
  async function enqueuePerOwner(
    tx: Queryable,
    kind: AlertOutboxKind,
    items: Item[],
    now: Date,
    incident: IncidentRow | undefined,
    result?: Pick<SweepResult, 'groupsJoined'>,
  ) {
    const { accountItems, channelMails } = await routeToChannels(tx, kind, items, now);
    const mails = [...groupByOwner(accountItems)].map(([userId, list]) => ({
      dedupeKey: ownerDigestKey(kind, userId, list[0]!.notification.dedupeKey),
      userId,
      channelId: null,
      notBefore: now,
      payload: { sites: list.map((item) => ({ ...item.site, decided_at: now.toISOString() })) },
      notifications: list.map((item) => item.notification),
    }));
    const held = incident !== undefined && kind === 'stale';
    const [status, incidentId] = held ? (['held', incident.id] as const) : (['pending', null] as const);
    if (deps.alertGroupWindowMs && isGroupedKind(kind)) {
      const grouped = [
        ...mails.map((mail) => ({ ...mail, groupKey: alertGroupKey(kind, { ownerId: mail.userId }) })),
        ...channelMails.flatMap(({ groupKey, ...mail }) => (groupKey === null ? [] : [{ ...mail, groupKey }])),
      ];
      const apart = await enqueueOutboxRows(tx, kind, channelMails.filter((mail) => mail.groupKey === null), status, incidentId, now);
      const { opened, joined } = await enqueueGrouped(tx, kind, grouped, { incidentId, windowMs: deps.alertGroupWindowMs, now });
      if (result) result.groupsJoined += joined;
      return opened + apart;
    }
    return enqueueOutboxRows(tx, kind, [...channelMails, ...mails], status, incidentId, now);
  }

  const count = (result: ProbeResult) => deps.metrics?.probes.inc({ result });

  async function queueRecoveries(tx: Queryable, now: Date, result: SweepResult): Promise<number> {
    const closed = await closeEpisodesFromEvents(tx, now);
    // Back inside its group's window: the stale alert about it is not sent yet on that channel, so
    // nothing is said there at all. Routing then finds no announcement on that channel and sends no
    // recovery to it; a channel whose group had already gone out (groups of one owner's channels
    // open and close apart) still hears that the site is back.
    await withdrawFromOpenGroups(tx, closed.map((row) => row.episode_id));
    const recovering = closed.filter((row) => row.to_status === 'connected' && row.announced && mayNotify(recipientOf(row), now));
    // What each episode turned out to be, so the recovery mail can say what it was.
    const diagnoses = await selectEpisodeDiagnoses(tx, recovering.map((row) => row.episode_id));
    const items: Item[] = recovering.map((row) => {
      const known = diagnoses.get(row.episode_id);
      return itemFor(row, 'recovery', {
        recovered_at: row.ended_at.toISOString(),
        diagnosis: (known?.diagnosis as Diagnosis | null) ?? null,
        diagnosis_detail: known?.detail ?? null,
      });
    });
    return enqueuePerOwner(tx, 'recovery', items, now, undefined, result);
  }

  /** Step 2, second half: probes whose site reported meanwhile. */
  async function finishWokenProbes(tx: Queryable, now: Date): Promise<number> {
    const reported = await finishReportedProbes(tx, now);
    const woken = reported.filter((row) => row.result === 'woke');
    await recordWokenBots(
      tx,
      woken.map((row) => ({
        botId: row.bot_id,
        probedAt: row.answered_at,
        at: row.reported_at,
        event: row.answer ? judgeProbe(row.answer, true, 0).event : { result: 'woke', woke: true },
      })),
    );
    for (const _ of woken) count('woke');
    if (woken.length) log.info({ woke: woken.length }, 'silent sites woke when nudged: they stay connected');
    return woken.length;
  }

  async function releaseHeld(tx: Queryable, incident: IncidentRow, now: Date) {
    const held = await selectHeldMails(tx, incident.id);
    if (held.length === 0) return { released: 0, dropped: 0 };
    const rows = await selectHeldNotifications(tx, held.map((mail) => mail.id));
    let released = 0;
    let dropped = 0;
    for (const mail of held) {
      const keep = new Set(rows.filter((r) => r.outbox_id === mail.id && r.still_stale && mayNotify(recipientOf(r), now)).map((r) => r.bot_id));
      const sites = mail.payload.sites.filter((site) => keep.has(site.id));
      await releaseHeldMail(tx, mail.id, sites.length ? { ...mail.payload, sites } : null, [...keep]);
      if (sites.length) released++;
      else dropped++;
    }
    return { released, dropped };
  }

  /** The nudge URL of a site, or null when it has none we can form. */
  function nudgeUrlOf(siteUrl: string | null | undefined): string | null {
    if (!siteUrl) return null;
    try {
      return nudgeUrl(siteUrl);
    } catch {
      return null;
    }
  }

  /** A judged probe, ready to record (and counted). */
  function judged(botId: string, episodeId: number, probe: ProbeRow | undefined, now: Date, confirmMs: number, unprobed = `We did not check the site: ${PROBING_OFF}.`): JudgedProbe {
    if (!probe) {
      count('not_probed');
      return { botId, episodeId, probeId: null, result: 'not_probed', detail: unprobed, probedAt: null, event: null, at: now };
    }
    const verdict = judgeProbe(answerOf(probe), false, confirmMs);
    const result = verdict.result as JudgedProbe['result'];
    count(result);
    return { botId, episodeId, probeId: probe.id, result, detail: verdict.detail!, probedAt: probe.answered_at, event: verdict.event, at: now };
  }

  async function queueReminders(tx: Queryable, now: Date): Promise<number> {
    const due = await selectDueReminders(tx, now);
    const items: Item[] = [];
    const schedule: Array<{ episodeId: number; remindersSent: number; nextAt: Date | null }> = [];
    const decisions = due.map((row) => ({ row, decision: reminderDue(row.opened_at, row.reminders_sent, now, deps.alertRepeatMs) }));
    // A bot in a maintenance window gets no reminder (step 7).
    const resting = await botsInMaintenance(tx, due.map((row) => row.bot_id), now);
    const mailable = ({ row, decision }: (typeof decisions)[number]) =>
      decision.send !== null && row.connection_status === 'stale' && row.announced && mayNotify(recipientOf(row), now) && !resting.has(row.bot_id);

    // With probing on, a reminder re-probes first: queue the probe, and wait for it like a deadline.
    const probes = new Map<string, ProbeRow>();
    const verdicts: JudgedProbe[] = [];
    if (deps.probe) {
      const wanted = decisions.filter(mailable);
      for (const probe of await selectReminderProbes(tx, wanted.map(({ row }) => row.episode_id))) probes.set(`${probe.episode_id}:${probe.reminder}`, probe);
      const missing = wanted.filter(({ row, decision }) => !probes.has(`${row.episode_id}:${decision.send}`));
      await insertProbes(
        tx,
        'reminder',
        missing.map(({ row, decision }) => ({ botId: row.bot_id, lastActivity: row.last_seen_at, url: nudgeUrlOf(row.site_url), episodeId: row.episode_id, reminder: decision.send! })),
        null,
        now,
      );
    }

    for (const entry of decisions) {
      const { row, decision } = entry;
      let diagnosis: Pick<SitePayload, 'diagnosis' | 'diagnosis_detail'> = {};
      if (deps.probe && mailable(entry)) {
        const probe = probes.get(`${row.episode_id}:${decision.send}`);
        // Not judged yet: leave the reminder due, the next sweep looks again.
        if (!probe || !probeReady(probe, now, deps.probe.confirmMs, deps.probe.giveUpMs)) continue;
        const verdict = judged(row.bot_id, row.episode_id, probe, now, deps.probe.confirmMs);
        verdicts.push(verdict);
        diagnosis = { diagnosis: verdict.result, diagnosis_detail: verdict.detail };
      }
      schedule.push({ episodeId: row.episode_id, remindersSent: decision.send ?? row.reminders_sent, nextAt: decision.nextAt });
      if (!mailable(entry)) continue;
      items.push(itemFor(row, 'reminder', { reminder: decision.send!, ...diagnosis }));
    }
    await recordDiagnoses(tx, verdicts);
    await updateReminderSchedule(tx, schedule);
    return enqueuePerOwner(tx, 'reminder', items, now, undefined);
  }

  /**
   * Once every probe of an open incident is judged, the operator gets the breakdown by diagnosis
   * (once per incident, by its dedupe key): many plugin_silent means the sites are up and cannot
   * reach us. The mail that ends the incident repeats it with everything probed since.
   */
  async function assessIncident(tx: Queryable, incident: IncidentRow, now: Date) {
    if (!deps.operatorEmail || !deps.probe || (await countOpenIncidentProbes(tx, incident.id)) > 0) return;
    const breakdown = await probeBreakdown(tx, incident.id);
    if (breakdown.length === 0) return;
    await mailOperator(tx, incident.id, { state: 'assessed', opened_at: incident.opened_at.toISOString(), breakdown }, now);
  }

  /** The operator's mail about an incident in this state, once per incident and state (its dedupe key); none without OPERATOR_EMAIL. */
  async function mailOperator(tx: Queryable, incidentId: number, payload: { state: 'opened' | 'assessed' | 'resolved' } & Record<string, unknown>, now: Date) {
    if (!deps.operatorEmail) return;
    await enqueueMail(tx, {
      dedupeKey: incidentMailKey(incidentId, payload.state),
      kind: 'incident',
      toAddress: deps.operatorEmail,
      payload: { ...payload, incident_id: incidentId },
      status: 'pending',
      now,
    });
  }

  /**
   * Step 7: the stale mails that waited for a maintenance window to end. With probing on, the site
   * is first re-probed (a reminder probe numbered 0) and the mail waits for that verdict, as at a
   * deadline; a site that reports meanwhile closes its episode and is never mentioned.
   */
  async function releaseMaintenanceHolds(tx: Queryable, now: Date, incident: IncidentRow | undefined): Promise<number> {
    const held = await selectHeldEpisodes(tx);
    if (held.length === 0) return 0;
    const resting = await botsInMaintenance(tx, held.map((row) => row.bot_id), now);
    const over = held.filter((row) => !resting.has(row.bot_id));
    const ready: Array<{ row: (typeof over)[number]; verdict?: JudgedProbe }> = [];
    if (deps.probe) {
      const probes = new Map((await selectReminderProbes(tx, over.map((row) => row.episode_id))).filter((p) => p.reminder === 0).map((p) => [p.episode_id, p]));
      const missing = over.filter((row) => !probes.has(row.episode_id));
      await insertProbes(
        tx,
        'reminder',
        missing.map((row) => ({ botId: row.bot_id, lastActivity: row.last_seen_at, url: nudgeUrlOf(row.site_url), episodeId: row.episode_id, reminder: 0 })),
        null,
        now,
      );
      for (const row of over) {
        const probe = probes.get(row.episode_id);
        if (!probe || !probeReady(probe, now, deps.probe.confirmMs, deps.probe.giveUpMs)) continue;
        ready.push({ row, verdict: judged(row.bot_id, row.episode_id, probe, now, deps.probe.confirmMs) });
      }
    } else {
      ready.push(...over.map((row) => ({ row })));
    }
    await recordDiagnoses(tx, ready.flatMap(({ verdict }) => (verdict ? [verdict] : [])));
    await releaseEpisodes(tx, ready.map(({ row }) => row.episode_id));
    const items = ready
      .filter(({ row }) => mayNotify(recipientOf(row), now))
      .map(({ row, verdict }) =>
        itemFor(row, 'stale', {
          diagnosis: verdict?.result ?? (row.diagnosis as Diagnosis | null),
          diagnosis_detail: verdict?.detail ?? row.diagnosis_detail,
        }),
      );
    return enqueuePerOwner(tx, 'stale', items, now, incident);
  }

  interface DueBot {
    id: string;
    lastActivity: Date;
    staleAt: Date;
  }

  /**
   * Step 3 without the flip: which of the bots past their deadline to flip now, each with its
   * verdict, and the probes queued for the others.
   */
  async function decideFlips(tx: Queryable, due: DueBot[], resting: Set<string>, now: Date) {
    if (!deps.probe) return { flips: due, verdicts: new Map(due.map((bot) => [bot.id, undefined])), queued: [] as number[] };
    const open = new Map((await selectOpenDeadlineProbes(tx, due.map((bot) => bot.id))).map((probe) => [probe.bot_id, probe]));
    // A site in a maintenance window is not nudged (step 7); a probe sent before the window is judged.
    const missing = due.filter((bot) => !open.has(bot.id) && !resting.has(bot.id));
    const urls = await selectSiteUrls(tx, missing.map((bot) => bot.id));
    const queued = await insertProbes(
      tx,
      'deadline',
      missing.map((bot) => ({ botId: bot.id, lastActivity: bot.lastActivity, url: nudgeUrlOf(urls.get(bot.id)) })),
      null,
      now,
    );
    const { confirmMs, giveUpMs } = deps.probe;
    const flips = due.filter((bot) => {
      const probe = open.get(bot.id);
      if (probe === undefined) return resting.has(bot.id);
      return probeReady(probe, now, confirmMs, giveUpMs);
    });
    return { flips, verdicts: new Map(flips.map((bot) => [bot.id, open.get(bot.id)])), queued };
  }

  /** The decision of steps 3 and 4, made before any bot is flipped. */
  interface Plan {
    flips: DueBot[];
    verdicts: Map<string, ProbeRow | undefined>;
    resting: Set<string>;
    /** The open incident that holds this sweep's stale mails, if any. */
    incident: IncidentRow | undefined;
    /** The open incident that ends in this sweep (closed once its last probes are judged, step 4). */
    ending: IncidentRow | undefined;
  }

  /** Steps 2, 3 (which bots to flip) and 4 (storm or not, the incident opened or extended): one transaction. */
  async function decide(tx: Queryable, now: Date, result: SweepResult): Promise<Plan> {
    // 2.
    result.recoveryMails = await queueRecoveries(tx, now, result);
    result.woke = await finishWokenProbes(tx, now);

    // 3.
    const resumedAt = await readIngestResumedAt(tx);
    const cutoff = staleCandidateCutoff(deps.staleAfterMs, resumedAt, now);
    const candidates = cutoff ? await selectStaleCandidates(tx, cutoff) : [];
    const due = candidates
      .map((c) => ({ lastActivity: c.last_activity, graceSeconds: c.grace_seconds, id: c.id }))
      .filter((c) => isStale(c, deps.staleAfterMs, resumedAt, now))
      .map((c) => ({ id: c.id, lastActivity: c.lastActivity, staleAt: staleAt(c, deps.staleAfterMs, resumedAt) }));
    const resting = await botsInMaintenance(tx, due.map((bot) => bot.id), now);
    const { flips, verdicts, queued } = await decideFlips(tx, due, resting, now);
    result.probesQueued = queued.length;
    // Newly silent: deadlines passed in this run (with probing, flips come a few minutes later).
    // Sites in a maintenance window are silent on purpose: they never make a storm.
    const newlySilent = deps.probe ? queued.length : flips.filter((bot) => !resting.has(bot.id)).length;
    const connectedBefore = newlySilent ? await countConnectedBots(tx) : 0;

    // 4. Decided from the count, before any flip, so that every batch's stale mails are held.
    result.storm = isStorm({ newlyStale: newlySilent, connectedBefore, fraction: deps.stormFraction, min: deps.stormMin });
    let incident = await findOpenIncident(tx);
    let ending: IncidentRow | undefined;
    if (result.storm) {
      if (incident) {
        await extendIncident(tx, incident.id, now, newlySilent);
        log.warn({ incident: incident.id, stale: newlySilent, connected: connectedBefore }, 'storm continues: owner mails stay held');
      } else {
        incident = await openIncident(tx, now, newlySilent, connectedBefore);
        result.incidentOpened = true;
        log.error(
          { incident: incident.id, stale: newlySilent, connected: connectedBefore },
          'storm: many bots went silent at once, probably our fault; owner mails are held',
        );
        await mailOperator(
          tx,
          incident.id,
          { state: 'opened', stale_count: newlySilent, connected_count: connectedBefore, opened_at: now.toISOString(), probing: deps.probe !== undefined },
          now,
        );
      }
    } else if (
      incident &&
      incidentEnds(incident.last_storm_at, deps.staleAfterMs, now) &&
      // Probes made during the storm are judged before it ends, so their mails are held too; the
      // ones judged by this sweep's flips count as judged.
      (await countOpenIncidentProbes(tx, incident.id, [...verdicts.values()].flatMap((probe) => (probe ? [probe.id] : [])))) === 0
    ) {
      ending = incident;
      incident = undefined;
    }
    if (incident) await tagProbesWithIncident(tx, queued, incident.id);
    return { flips, verdicts, resting, incident, ending };
  }

  /** Steps 3 and 5 for one batch, in its own transaction: flip, record verdicts, queue the stale mails. */
  async function flipBatch(tx: Queryable, batch: DueBot[], plan: Plan, now: Date, result: SweepResult) {
    const { resting, verdicts, incident } = plan;
    const flipped = await flipStale(tx, batch, deps.alertRepeatMs);
    result.flipped += flipped.length;
    const judgedFlips = flipped.map((row) =>
      resting.has(row.bot_id) && !verdicts.get(row.bot_id)
        ? judged(row.bot_id, row.episode_id, undefined, now, 0, MAINTENANCE_DETAIL)
        : judged(row.bot_id, row.episode_id, verdicts.get(row.bot_id), now, deps.probe?.confirmMs ?? 0),
    );
    await recordDiagnoses(tx, judgedFlips);
    const diagnosisOf = new Map(judgedFlips.map((j) => [j.botId, j]));

    // 5. (A site in a maintenance window waits for its end: step 7.)
    await holdEpisodesForMaintenance(tx, flipped.filter((row) => resting.has(row.bot_id)).map((row) => row.episode_id));
    const staleItems: Item[] = flipped
      .filter((row) => mayNotify(recipientOf(row), now) && !resting.has(row.bot_id))
      .map((row) => {
        const verdict = diagnosisOf.get(row.bot_id);
        return itemFor(row, 'stale', { diagnosis: verdict?.result ?? null, diagnosis_detail: verdict?.detail ?? null });
      });
    const staleMails = await enqueuePerOwner(tx, 'stale', staleItems, now, incident, result);
    if (incident) result.heldMails += staleMails;
    else result.staleMails += staleMails;
  }

  /** Step 4's end of an incident, once this sweep's flips have judged its last probes. */
  async function endIncident(tx: Queryable, incident: IncidentRow, now: Date, result: SweepResult) {
    await closeIncident(tx, incident.id, now);
    const { released, dropped } = await releaseHeld(tx, incident, now);
    const breakdown = await probeBreakdown(tx, incident.id);
    result.incidentClosed = true;
    result.releasedMails = released;
    result.droppedMails = dropped;
    log.info({ incident: incident.id, released, dropped, breakdown }, 'storm incident ended: held mails still true are released');
    await mailOperator(
      tx,
      incident.id,
      {
        state: 'resolved',
        stale_count: incident.stale_count,
        connected_count: incident.connected_count,
        opened_at: incident.opened_at.toISOString(),
        closed_at: now.toISOString(),
        released,
        dropped,
        breakdown,
      },
      now,
    );
  }

  const batchSize = deps.flipBatch ?? DEFAULT_FLIP_BATCH;
  const leaseMs = deps.leaseMs ?? SWEEP_LEASE_MS;
  const holder = deps.holder ?? `${hostname()}/${process.pid}/${randomBytes(4).toString('hex')}`;

  return {
    /** One sweep at `now`; see the numbered steps at the top of this file. */
    async run(now: Date): Promise<SweepResult> {
      const result: SweepResult = {
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
      };
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
        // 2.–4.
        const plan = await fenced((tx) => decide(tx, now, result));
        // 3. and 5., one short transaction per batch.
        const batches = flipBatches(plan.flips, batchSize);
        for (const batch of batches) {
          await fenced((tx) => flipBatch(tx, batch, plan, now, result));
          result.flipBatches++;
          await deps.onBatch?.({ batch: result.flipBatches, batches: batches.length, flipped: result.flipped });
        }
        await fenced(async (tx) => {
          // 4., its end.
          if (plan.ending) await endIncident(tx, plan.ending, now, result);
          else if (plan.incident) await assessIncident(tx, plan.incident, now);
          // 6.
          result.reminderMails = await queueReminders(tx, now);
          // 7.
          result.maintenanceMails = await releaseMaintenanceHolds(tx, now, plan.incident);
          result.endingNotices = await queueEndingNotices(tx, now);
          // 8.
          result.groupsClosed = await closeDueGroups(tx, now);
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
