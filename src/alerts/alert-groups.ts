// Grouping alerts over ALERT_GROUP_WINDOW (docs/alerts.md "Alert groups"), called by the sweep in its transaction.
// Deadlines of one owner's sites are spread over the heartbeat interval, so a per-sweep digest would
// announce one incident several times. A group is one digest row: the owner's account email
// ("stale:<owner>") or one of their digest channels, email contacts and Slack ("stale:ch:<channel>",
// see channelRowGroups for the rows that never join one).
//
//  1. For each row to queue, look for the open group of its key (a held row with that group key,
//     of the same storm incident or none).
//  2. If there is one, the sites join it: appended to its list, their notifications point at it.
//  3. Otherwise the row is queued held and becomes a group whose window closes ALERT_GROUP_WINDOW
//     after this decision (its next_attempt_at).
//  4. Once no further site of that row's owner can join (stale: none left connected and mailable;
//     recovery: none left stale that was announced), the group closes now. The rule is the owner's
//     for every channel: a channel covering some bots only may wait for its window to end.
// At the end of each sweep, groups whose window has ended become pending (closeDueGroups), and the
// delivery worker sends them like any due row. A site that reports again while its stale group is
// unsent leaves it (withdrawFromOpenGroups, in step 2 of the sweep) and is then neither announced
// nor told it recovered on that channel.
import type { Queryable } from '../db/database.ts';
import { closeGroupsNow, joinGroups, lockOpenGroups, markGroups, ownersWithNoneLeftToJoin } from '../db/alert-groups.ts';
import { enqueueOutboxRows, type NewOutboxRow } from '../db/outbox.ts';
import { groupClosesAt } from '../domain/alert-grouping.ts';
import type { GroupedKind } from '../domain/alert-keys.ts';

/** A digest row (the account email's, or a channel's) and the group it joins (alertGroupKey). */
export interface GroupedMail extends NewOutboxRow {
  groupKey: string;
  payload: { sites: readonly unknown[] };
}

export interface GroupOptions {
  /** The open storm incident that holds stale mails, if any. */
  incidentId: number | null;
  windowMs: number;
  now: Date;
}

/** Queues these digest rows into groups; returns how many groups were opened and how many rows joined one. */
export async function enqueueGrouped(tx: Queryable, kind: GroupedKind, mails: readonly GroupedMail[], options: GroupOptions) {
  const { incidentId, windowMs, now } = options;
  if (mails.length === 0) return { opened: 0, joined: 0 };
  // 1.
  const open = await lockOpenGroups(tx, mails.map((mail) => mail.groupKey), incidentId, now);
  // 2.
  const joining = mails.filter((mail) => open.has(mail.groupKey));
  await joinGroups(
    tx,
    joining.map((mail) => ({ outboxId: open.get(mail.groupKey)!, sites: mail.payload.sites, notifications: mail.notifications })),
  );
  // 3.
  const opening = mails.filter((mail) => !open.has(mail.groupKey));
  const opened = await enqueueOutboxRows(tx, kind, opening, 'held', incidentId, now);
  const marked = await markGroups(
    tx,
    opening.map((mail) => ({ dedupeKey: mail.dedupeKey, groupKey: mail.groupKey })),
    groupClosesAt(now, windowMs),
    now,
  );
  // 4.
  const complete = await ownersWithNoneLeftToJoin(tx, kind, [...new Set(mails.map((mail) => mail.userId))], now);
  const groups = new Map([...open, ...marked]);
  await closeGroupsNow(
    tx,
    mails.filter((mail) => complete.has(mail.userId)).map((mail) => groups.get(mail.groupKey)!).filter((id) => id !== undefined),
    now,
  );
  return { opened, joined: joining.length };
}
