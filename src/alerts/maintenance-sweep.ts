// Step 7 of the sweep (src/alerts/sweep.ts) and its maintenance questions (docs/alerts.md
// "Maintenance windows"): which bots are in a window now, the stale mails that waited for a window
// to end, and the "your maintenance window ends in a day" mails. The rule itself is
// src/domain/maintenance.ts.
//
// What a window does (docs/alerts.md "Maintenance windows"):
//  - a silent site still turns stale at its deadline (the connection status is unchanged), but it is not
//    nudged or probed during the window, and its stale mail waits on the episode;
//  - reminders of a bot in a window are skipped;
//  - when the window ends, a site still stale is probed like a reminder (with probing on) and its
//    stale mail goes out; a site that reported meanwhile is never mentioned;
//  - bots in a window never count towards a storm.
import type { Queryable } from '../db/database.ts';
import type { IncidentRow } from '../db/incidents.ts';
import { markEndingNoticed, releaseEpisodes, selectEndingWindows, selectHeldEpisodes, selectMaintenanceEnds } from '../db/maintenance.ts';
import { enqueueMail } from '../db/outbox.ts';
import { recordDiagnoses } from '../db/probes.ts';
import { maintenanceEndingKey } from '../domain/alert-keys.ts';
import { groupByOwner } from '../domain/alert-rules.ts';
import { ENDING_NOTICE_MS, endingNoticeDue } from '../domain/maintenance.ts';
import type { Diagnosis } from '../domain/probe-diagnosis.ts';
import { itemFor, notifiable, queueAlerts } from './queue-alerts.ts';
import type { SweepContext, SweepCounts } from './sweep-types.ts';

/** Which of these bots are in a maintenance window at `now`. */
export async function botsInMaintenance(tx: Queryable, botIds: readonly string[], now: Date): Promise<Set<string>> {
  const ends = await selectMaintenanceEnds(tx, botIds, now);
  return new Set([...ends].filter(([, until]) => until !== null).map(([id]) => id));
}

/**
 * Step 7: the stale mails that waited for a maintenance window to end. The site goes through the
 * probe gate first (a reminder probe numbered 0: with probing on the mail waits for its verdict, as
 * at a deadline); a site that reports meanwhile closes its episode and is never mentioned.
 */
export async function releaseMaintenanceHolds(ctx: SweepContext, tx: Queryable, now: Date, incident: IncidentRow | undefined): Promise<SweepCounts> {
  const held = await selectHeldEpisodes(tx);
  if (held.length === 0) return { maintenanceMails: 0 };
  const resting = await botsInMaintenance(tx, held.map((row) => row.bot_id), now);
  const subjects = held
    .filter((row) => !resting.has(row.bot_id))
    .map((row) => ({ row, botId: row.bot_id, lastActivity: row.last_seen_at, siteUrl: row.site_url, reminder: { episodeId: row.episode_id, number: 0 } }));
  const { passed } = await ctx.gate.pass(tx, 'reminder', subjects, now);
  const ready = passed.map(({ subject: { row }, probe }) => ({ row, verdict: probe && ctx.gate.judge(row.bot_id, row.episode_id, probe, now) }));
  await recordDiagnoses(tx, ready.flatMap(({ verdict }) => (verdict ? [verdict] : [])));
  await releaseEpisodes(tx, ready.map(({ row }) => row.episode_id));
  const items = ready
    .filter(({ row }) => notifiable(row, now))
    .map(({ row, verdict }) =>
      itemFor(row, 'stale', {
        diagnosis: verdict?.result ?? (row.diagnosis as Diagnosis | null),
        diagnosis_detail: verdict?.detail ?? row.diagnosis_detail,
      }),
    );
  const { queued, joined } = await queueAlerts(tx, 'stale', items, { now, incident, groupWindowMs: ctx.deps.alertGroupWindowMs });
  return { maintenanceMails: queued, groupsJoined: joined };
}

/**
 * Queues one mail per owner listing their one-off windows longer than a day that end within a day
 * (once per window end: the dedupe key carries it). Returns how many mails were queued.
 */
export async function queueEndingNotices(tx: Queryable, now: Date): Promise<SweepCounts> {
  const due = (await selectEndingWindows(tx, now, ENDING_NOTICE_MS)).filter((w) =>
    endingNoticeDue({ startsAt: w.started_at, until: w.until, noticeFor: w.notice_for }, now),
  );
  let queued = 0;
  for (const [userId, windows] of groupByOwner(due.map((w) => ({ ...w, userId: w.user_id })))) {
    const id = await enqueueMail(tx, {
      dedupeKey: maintenanceEndingKey(userId, windows.map((w) => ({ botId: w.bot_id, until: w.until }))),
      kind: 'maintenance_ending',
      userId,
      payload: {
        sites: windows.map((w) => ({
          id: w.bot_id,
          name: w.name,
          site_url: w.site_url,
          plugin_version: null,
          last_seen_at: w.started_at.toISOString(),
          maintenance_until: w.until.toISOString(),
          maintenance_reason: w.reason,
        })),
      },
      status: 'pending',
      now,
    });
    if (id !== undefined) queued++;
  }
  await markEndingNoticed(tx, due.map((w) => ({ botId: w.bot_id, until: w.until })));
  return { endingNotices: queued };
}
