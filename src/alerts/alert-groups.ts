// Grouping an owner's alerts over ALERT_GROUP_WINDOW (issue 16), called by the sweep in its
// transaction. Deadlines of one owner's sites are spread over the heartbeat interval, so a per-sweep
// digest would mail one incident several times.
//
//  1. For each owner with sites to announce, look for their open group of this kind (a held mail
//     with this owner's group key, of the same storm incident or none).
//  2. If there is one, the sites join it: appended to its list, their notifications point at it.
//  3. Otherwise the owner's mail is queued held and becomes a group whose window closes
//     ALERT_GROUP_WINDOW after this decision (its next_attempt_at).
//  4. Once no further site of that owner can join (stale: none left connected and mailable;
//     recovery: none left stale that was announced), the group closes now.
// At the end of each sweep, groups whose window has ended become pending (closeDueGroups), and the
// delivery worker sends them like any due mail. A site that reports again while its stale group is
// unsent leaves it (withdrawFromOpenGroups, in step 2 of the sweep) and is then neither announced
// nor told it recovered.
import type { Queryable } from '../db/database.ts';
import { closeGroupsNow, joinGroups, lockOpenGroups, markGroups, ownersWithNoneLeftToJoin } from '../db/alert-groups.ts';
import { enqueueOwnerMails, type NewOwnerMail } from '../db/outbox.ts';
import { alertGroupKey, groupClosesAt, type GroupedKind } from '../domain/alert-grouping.ts';

export interface GroupedMail extends NewOwnerMail {
  payload: { sites: readonly unknown[] };
}

export interface GroupOptions {
  /** The open storm incident that holds stale mails, if any. */
  incidentId: number | null;
  windowMs: number;
  now: Date;
}

/** Queues these owner mails into groups; returns how many groups were opened and how many joined. */
export async function enqueueGrouped(tx: Queryable, kind: GroupedKind, mails: readonly GroupedMail[], options: GroupOptions) {
  const { incidentId, windowMs, now } = options;
  if (mails.length === 0) return { opened: 0, joined: 0 };
  const keyOf = (mail: GroupedMail) => alertGroupKey(kind, mail.userId);
  // 1.
  const open = await lockOpenGroups(tx, mails.map(keyOf), incidentId, now);
  // 2.
  const joining = mails.filter((mail) => open.has(keyOf(mail)));
  await joinGroups(
    tx,
    joining.map((mail) => ({ outboxId: open.get(keyOf(mail))!, sites: mail.payload.sites, notifications: mail.notifications })),
  );
  // 3.
  const opening = mails.filter((mail) => !open.has(keyOf(mail)));
  const opened = await enqueueOwnerMails(tx, kind, opening, 'held', incidentId, now);
  const marked = await markGroups(
    tx,
    opening.map((mail) => ({ dedupeKey: mail.dedupeKey, groupKey: keyOf(mail) })),
    groupClosesAt(now, windowMs),
    now,
  );
  // 4.
  const complete = await ownersWithNoneLeftToJoin(tx, kind, mails.map((mail) => mail.userId), now);
  const groups = new Map([...open, ...marked]);
  await closeGroupsNow(
    tx,
    mails.filter((mail) => complete.has(mail.userId)).map((mail) => groups.get(keyOf(mail))!).filter((id) => id !== undefined),
    now,
  );
  return { opened, joined: joining.length };
}
