// The stale sweep (spec §5, §7). One run is one transaction under an advisory lock, so it is
// idempotent: two instances, a second run or a crash halfway never announce anything twice.
//
//  1. Take the sweep lock (pg_try_advisory_xact_lock); if another instance holds it, do nothing.
//  2. Claim the "stale → …" events the heartbeat path wrote since the last run and close those
//     episodes; for each bot back to connected whose stale mail went out, queue a recovery
//     (one mail per owner listing every recovered site).
//  3. Read ingest_resumed_at; find connected bots silent past stale_after with one indexed range
//     scan, keep those for which now − max(last_activity, ingest_resumed_at) > stale_after + grace,
//     and flip each connected → stale with a conditional update, writing its connection event
//     dated at max(last_activity, ingest_resumed_at) + stale_after and opening an alert episode.
//  4. Storm guard: more than STORM_FRACTION of the bots connected before this run, and at least
//     STORM_MIN, flipped → open (or extend) the one incident and mail the operator.
//     An open incident ends at the first calm run a full stale_after after its last storm: its
//     held mails are released with the sites still stale, or dropped when none is.
//  5. Queue one stale digest per owner listing their newly stale sites (muted, disabled and
//     unsubscribed excluded), held while an incident is open.
//  6. Queue reminders for episodes due one (ALERT_REPEAT after going stale, then every
//     ALERT_REPEAT, for 7 days), one mail per owner.
// Mails are outbox rows; src/alerts/delivery.ts sends them.
import type { Config } from '../config.ts';
import type { Database, Queryable } from '../db/database.ts';
import { countConnectedBots, selectStaleCandidates, type AlertBotRow } from '../db/bots.ts';
import { closeEpisodesFromEvents, flipStale, selectDueReminders, tryLockSweep, updateReminderSchedule } from '../db/episodes.ts';
import { closeIncident, extendIncident, findOpenIncident, openIncident, type IncidentRow } from '../db/incidents.ts';
import {
  enqueueMail,
  enqueueOwnerMails,
  releaseHeldMail,
  selectHeldMails,
  selectHeldNotifications,
  type NewNotification,
  type OutboxKind,
} from '../db/outbox.ts';
import { groupByOwner, incidentEnds, isStale, isStorm, mayNotify, reminderDue, staleAt, staleCandidateCutoff } from '../domain/alert-rules.ts';
import { readIngestResumedAt } from './ingest-liveness.ts';

export interface AlertLog {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
  error(details: object, message: string): void;
}

export interface SweepDeps {
  db: Database;
  staleAfterMs: number;
  alertRepeatMs: number;
  stormFraction: number;
  stormMin: number;
  operatorEmail?: string;
  log?: AlertLog;
}

export interface SweepResult {
  /** Another instance held the sweep lock. */
  skipped: boolean;
  flipped: number;
  storm: boolean;
  incidentOpened: boolean;
  incidentClosed: boolean;
  staleMails: number;
  heldMails: number;
  recoveryMails: number;
  reminderMails: number;
  releasedMails: number;
  droppedMails: number;
}

/** One site as it appears in a mail's payload (rendered at send time). */
export interface SitePayload {
  id: string;
  name: string;
  site_url: string | null;
  plugin_version: string | null;
  last_seen_at: string;
  recovered_at?: string;
  reminder?: number;
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
  extra: Pick<SitePayload, 'recovered_at' | 'reminder'> = {},
): Item {
  const suffix = extra.reminder === undefined ? '' : `:${extra.reminder}`;
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
    notification: { dedupeKey: `${kind}:${row.bot_id}:${row.episode_id}${suffix}`, kind, botId: row.bot_id, episodeId: row.episode_id },
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
  };
}

export function createSweep(deps: SweepDeps) {
  const log = deps.log ?? silentLog;

  /** Queues one mail per owner for these items; returns how many mails were queued. */
  function enqueuePerOwner(tx: Queryable, kind: Exclude<OutboxKind, 'incident'>, items: Item[], now: Date, incident: IncidentRow | undefined) {
    const mails = [...groupByOwner(items)].map(([userId, list]) => ({
      dedupeKey: `${kind}:${userId}:${list[0]!.notification.dedupeKey}`,
      userId,
      payload: { sites: list.map((item) => item.site) },
      notifications: list.map((item) => item.notification),
    }));
    const held = incident !== undefined && kind === 'stale';
    return enqueueOwnerMails(tx, kind, mails, held ? 'held' : 'pending', held ? incident.id : null, now);
  }

  async function queueRecoveries(tx: Queryable, now: Date): Promise<number> {
    const closed = await closeEpisodesFromEvents(tx, now);
    const items: Item[] = closed
      .filter((row) => row.to_status === 'connected' && row.announced && mayNotify(recipientOf(row), now))
      .map((row) => itemFor(row, 'recovery', { recovered_at: row.ended_at.toISOString() }));
    return enqueuePerOwner(tx, 'recovery', items, now, undefined);
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

  async function queueReminders(tx: Queryable, now: Date): Promise<number> {
    const due = await selectDueReminders(tx, now);
    const items: Item[] = [];
    const schedule: Array<{ episodeId: number; remindersSent: number; nextAt: Date | null }> = [];
    for (const row of due) {
      const decision = reminderDue(row.opened_at, row.reminders_sent, now, deps.alertRepeatMs);
      schedule.push({ episodeId: row.episode_id, remindersSent: decision.send ?? row.reminders_sent, nextAt: decision.nextAt });
      if (decision.send === null || row.connection_status !== 'stale' || !row.announced || !mayNotify(recipientOf(row), now)) continue;
      items.push(itemFor(row, 'reminder', { reminder: decision.send }));
    }
    await updateReminderSchedule(tx, schedule);
    return enqueuePerOwner(tx, 'reminder', items, now, undefined);
  }

  return {
    /** One sweep at `now`; see the numbered steps at the top of this file. */
    async run(now: Date): Promise<SweepResult> {
      const result: SweepResult = {
        skipped: false,
        flipped: 0,
        storm: false,
        incidentOpened: false,
        incidentClosed: false,
        staleMails: 0,
        heldMails: 0,
        recoveryMails: 0,
        reminderMails: 0,
        releasedMails: 0,
        droppedMails: 0,
      };
      return deps.db.transaction(async (tx) => {
        // 1.
        if (!(await tryLockSweep(tx))) return { ...result, skipped: true };

        // 2.
        result.recoveryMails = await queueRecoveries(tx, now);

        // 3.
        const resumedAt = await readIngestResumedAt(tx);
        const cutoff = staleCandidateCutoff(deps.staleAfterMs, resumedAt, now);
        const candidates = cutoff ? await selectStaleCandidates(tx, cutoff) : [];
        const flips = candidates
          .map((c) => ({ lastActivity: c.last_activity, graceSeconds: c.grace_seconds, id: c.id }))
          .filter((c) => isStale(c, deps.staleAfterMs, resumedAt, now))
          .map((c) => ({ id: c.id, lastActivity: c.lastActivity, staleAt: staleAt(c, deps.staleAfterMs, resumedAt) }));
        const connectedBefore = flips.length ? await countConnectedBots(tx) : 0;
        const flipped = await flipStale(tx, flips, deps.alertRepeatMs);
        result.flipped = flipped.length;

        // 4.
        result.storm = isStorm({ newlyStale: flipped.length, connectedBefore, fraction: deps.stormFraction, min: deps.stormMin });
        let incident = await findOpenIncident(tx);
        if (result.storm) {
          if (incident) {
            await extendIncident(tx, incident.id, now, flipped.length);
            log.warn({ incident: incident.id, stale: flipped.length, connected: connectedBefore }, 'storm continues: owner mails stay held');
          } else {
            incident = await openIncident(tx, now, flipped.length, connectedBefore);
            result.incidentOpened = true;
            log.error(
              { incident: incident.id, stale: flipped.length, connected: connectedBefore },
              'storm: many bots went stale at once, probably our fault; owner mails are held',
            );
            if (deps.operatorEmail) {
              await enqueueMail(tx, {
                dedupeKey: `incident:${incident.id}:opened`,
                kind: 'incident',
                toAddress: deps.operatorEmail,
                payload: { state: 'opened', incident_id: incident.id, stale_count: flipped.length, connected_count: connectedBefore, opened_at: now.toISOString() },
                status: 'pending',
                now,
              });
            }
          }
        } else if (incident && incidentEnds(incident.last_storm_at, deps.staleAfterMs, now)) {
          await closeIncident(tx, incident.id, now);
          const { released, dropped } = await releaseHeld(tx, incident, now);
          result.incidentClosed = true;
          result.releasedMails = released;
          result.droppedMails = dropped;
          log.info({ incident: incident.id, released, dropped }, 'storm incident ended: held mails still true are released');
          if (deps.operatorEmail) {
            await enqueueMail(tx, {
              dedupeKey: `incident:${incident.id}:resolved`,
              kind: 'incident',
              toAddress: deps.operatorEmail,
              payload: {
                state: 'resolved',
                incident_id: incident.id,
                stale_count: incident.stale_count,
                connected_count: incident.connected_count,
                opened_at: incident.opened_at.toISOString(),
                closed_at: now.toISOString(),
                released,
                dropped,
              },
              status: 'pending',
              now,
            });
          }
          incident = undefined;
        }

        // 5.
        const staleItems: Item[] = flipped
          .filter((row) => mayNotify(recipientOf(row), now))
          .map((row) => itemFor(row, 'stale'));
        const staleMails = await enqueuePerOwner(tx, 'stale', staleItems, now, incident);
        if (incident) result.heldMails = staleMails;
        else result.staleMails = staleMails;

        // 6.
        result.reminderMails = await queueReminders(tx, now);
        return result;
      });
    },
  };
}

export type Sweep = ReturnType<typeof createSweep>;
