// The sweep's maintenance questions (docs/alerts.md "Maintenance windows"), kept out of sweep.ts: which bots are in a window
// now, and the "your maintenance window ends in a day" mails. The sweep calls these inside its one
// transaction; the rule itself is src/domain/maintenance.ts.
//
// What a window does (docs/alerts.md "Maintenance windows"):
//  - a silent site still turns stale at its deadline (the connection status is unchanged), but it is not
//    nudged or probed during the window, and its stale mail waits on the episode;
//  - reminders of a bot in a window are skipped;
//  - when the window ends, a site still stale is probed like a reminder (with probing on) and its
//    stale mail goes out; a site that reported meanwhile is never mentioned;
//  - bots in a window never count towards a storm.
import type { Queryable } from '../db/database.ts';
import { markEndingNoticed, selectEndingWindows, selectMaintenanceEnds } from '../db/maintenance.ts';
import { enqueueMail } from '../db/outbox.ts';
import { maintenanceEndingKey } from '../domain/alert-keys.ts';
import { groupByOwner } from '../domain/alert-rules.ts';
import { ENDING_NOTICE_MS, endingNoticeDue } from '../domain/maintenance.ts';

/** The detail a site flipped during a window carries instead of a probe's verdict. */
export const MAINTENANCE_DETAIL = 'We did not check the site: it was in a maintenance window.';

/** Which of these bots are in a maintenance window at `now`. */
export async function botsInMaintenance(tx: Queryable, botIds: readonly string[], now: Date): Promise<Set<string>> {
  const ends = await selectMaintenanceEnds(tx, botIds, now);
  return new Set([...ends].filter(([, until]) => until !== null).map(([id]) => id));
}

/**
 * Queues one mail per owner listing their one-off windows longer than a day that end within a day
 * (once per window end: the dedupe key carries it). Returns how many mails were queued.
 */
export async function queueEndingNotices(tx: Queryable, now: Date): Promise<number> {
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
  return queued;
}
