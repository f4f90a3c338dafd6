// Plain SQL for alert groups (docs/alerts.md "Alert groups", sql/080_alert_groups.sql): an owner mail in the outbox that
// later sites may still join. While its window is open it is `held` with group_key set, and its
// next_attempt_at is when the window closes; the sweep makes it `pending` at its first run at or
// after that time (closeDueGroups), so the delivery worker never races a site joining it. Called
// inside the sweep's transaction, under the sweep lease: one writer at a time.
import type { Queryable } from './database.ts';
import { mayNotifySql } from './bots.ts';
import { episodeAnnouncedSql, insertNotifications, type NewNotification } from './outbox.ts';
import type { GroupedKind } from '../domain/alert-keys.ts';

/** Rows of alert_outbox not sent yet that belong to a group (open, or closed and waiting to be sent). */
const UNSENT_GROUP = "o.group_key IS NOT NULL AND o.attempts = 0 AND o.status IN ('held', 'pending')";

/**
 * The open group for each key, locked for this transaction. Without a storm incident: held until a
 * sweep closes it (sites decided by the sweep that closes it still join). Held by an incident: until
 * its window ends (it is released with the incident, not by its window).
 */
export async function lockOpenGroups(tx: Queryable, keys: readonly string[], incidentId: number | null, now: Date): Promise<Map<string, number>> {
  if (keys.length === 0) return new Map();
  const { rows } = await tx.query<{ id: number; group_key: string }>(
    `SELECT o.id, o.group_key FROM alert_outbox o
     WHERE o.group_key = ANY($1::text[]) AND o.group_key IS NOT NULL AND o.status = 'held'
       AND o.incident_id IS NOT DISTINCT FROM $2::bigint AND (o.incident_id IS NULL OR o.next_attempt_at > $3)
     ORDER BY o.id FOR UPDATE`,
    [keys, incidentId, now],
  );
  return new Map(rows.map((row) => [row.group_key, row.id]));
}

/** Adds sites to open groups (appended to each payload's list) with the notifications they carry. */
export async function joinGroups(
  tx: Queryable,
  joins: ReadonlyArray<{ outboxId: number; sites: readonly unknown[]; notifications: readonly NewNotification[] }>,
): Promise<void> {
  if (joins.length === 0) return;
  await tx.query(
    `UPDATE alert_outbox o SET payload = jsonb_set(o.payload, '{sites}', COALESCE(o.payload->'sites', '[]'::jsonb) || u.sites)
     FROM unnest($1::bigint[], $2::jsonb[]) AS u(id, sites) WHERE o.id = u.id`,
    [joins.map((j) => j.outboxId), joins.map((j) => JSON.stringify(j.sites))],
  );
  await insertNotifications(tx, joins.flatMap((j) => j.notifications.map((n) => ({ ...n, outboxId: j.outboxId }))));
}

/**
 * Makes held mails just enqueued (by dedupe key, created at `now`) open groups whose window closes
 * at `closesAt`. Returns their ids by group key.
 */
export async function markGroups(
  tx: Queryable,
  mails: ReadonlyArray<{ dedupeKey: string; groupKey: string }>,
  closesAt: Date,
  now: Date,
): Promise<Map<string, number>> {
  if (mails.length === 0) return new Map();
  const { rows } = await tx.query<{ id: number; group_key: string }>(
    `UPDATE alert_outbox o SET group_key = u.group_key, next_attempt_at = $3
     FROM unnest($1::text[], $2::text[]) AS u(dedupe_key, group_key)
     WHERE o.dedupe_key = u.dedupe_key AND o.created_at = $4 AND o.status = 'held' AND o.attempts = 0
     RETURNING o.id, o.group_key`,
    [mails.map((m) => m.dedupeKey), mails.map((m) => m.groupKey), closesAt, now],
  );
  return new Map(rows.map((row) => [row.group_key, row.id]));
}

/**
 * Closes these groups now, before their window ends (nobody else can join): pending and due, or,
 * held by a storm incident, no longer open (the incident releases it).
 */
export async function closeGroupsNow(tx: Queryable, ids: readonly number[], now: Date): Promise<void> {
  if (ids.length === 0) return;
  await tx.query(
    `UPDATE alert_outbox o SET status = CASE WHEN o.incident_id IS NULL THEN 'pending' ELSE o.status END, next_attempt_at = $2
     WHERE o.id = ANY($1::bigint[]) AND o.group_key IS NOT NULL AND o.status = 'held'`,
    [ids, now],
  );
}

/** Closes every group whose window has ended: pending, due now. Returns how many. */
export async function closeDueGroups(tx: Queryable, now: Date): Promise<number> {
  const result = await tx.query(
    `UPDATE alert_outbox SET status = 'pending'
     WHERE group_key IS NOT NULL AND status = 'held' AND incident_id IS NULL AND next_attempt_at <= $1`,
    [now],
  );
  return result.rowCount;
}

/**
 * For each of these bots with a mail in an open group (not held by a storm incident), when that
 * group's window ends: the bot page and JSON say "alert pending, will be sent at …".
 */
export async function selectAlertPendingUntil(db: Queryable, botIds: readonly string[]): Promise<Map<string, Date>> {
  if (botIds.length === 0) return new Map();
  const { rows } = await db.query<{ bot_id: string; until: Date }>(
    `SELECT n.bot_id, min(o.next_attempt_at) AS until
     FROM alert_notifications n JOIN alert_outbox o ON o.id = n.outbox_id
     WHERE n.bot_id = ANY($1::uuid[]) AND o.group_key IS NOT NULL AND o.status = 'held' AND o.incident_id IS NULL
     GROUP BY n.bot_id`,
    [botIds],
  );
  return new Map(rows.map((row) => [row.bot_id, row.until]));
}

/**
 * The owners for whom no further site can join a group of this kind, so theirs may go out before
 * its window closes. Stale: no site left connected that could be announced (one we may notify).
 * Recovery: no site left stale whose stale mail went out or is on its way (announced, 'queued').
 */
export async function ownersWithNoneLeftToJoin(tx: Queryable, kind: GroupedKind, ownerIds: readonly string[], now: Date): Promise<Set<string>> {
  if (ownerIds.length === 0) return new Set();
  const { rows } =
    kind === 'stale'
      ? await tx.query<{ id: string }>(
          `SELECT u.id FROM unnest($1::uuid[]) AS u(id) WHERE NOT EXISTS (
             SELECT 1 FROM bots b JOIN users o ON o.id = b.user_id
             WHERE b.user_id = u.id AND b.connection_status = 'connected' AND ${mayNotifySql('b', 'o', '$2')})`,
          [ownerIds, now],
        )
      : await tx.query<{ id: string }>(
          `SELECT u.id FROM unnest($1::uuid[]) AS u(id) WHERE NOT EXISTS (
             SELECT 1 FROM bots b JOIN alert_episodes ep ON ep.bot_id = b.id AND ep.closed_at IS NULL
             WHERE b.user_id = u.id AND ${episodeAnnouncedSql('ep.id', 'queued')})`,
          [ownerIds],
        );
  return new Set(rows.map((row) => row.id));
}

/**
 * Takes the stale notifications of these episodes out of groups not sent yet (the site reported
 * again, or was deactivated, inside the window): the site leaves the mail's list, and a mail left
 * with no site is dropped. Returns the episodes withdrawn, which were therefore never announced.
 */
export async function withdrawFromOpenGroups(tx: Queryable, episodeIds: readonly number[]): Promise<Set<number>> {
  if (episodeIds.length === 0) return new Set();
  const { rows } = await tx.query<{ notification_id: number; episode_id: number; bot_id: string; outbox_id: number; payload: { sites?: Array<{ id: string }> } }>(
    `SELECT n.id AS notification_id, n.episode_id, n.bot_id, o.id AS outbox_id, o.payload
     FROM alert_notifications n JOIN alert_outbox o ON o.id = n.outbox_id
     WHERE n.episode_id = ANY($1::bigint[]) AND n.kind = 'stale' AND ${UNSENT_GROUP}
     ORDER BY o.id FOR UPDATE OF o`,
    [episodeIds],
  );
  if (rows.length === 0) return new Set();
  await tx.query('DELETE FROM alert_notifications WHERE id = ANY($1::bigint[])', [rows.map((r) => r.notification_id)]);
  const leaving = new Map<number, { payload: (typeof rows)[number]['payload']; bots: Set<string> }>();
  for (const row of rows) {
    const entry = leaving.get(row.outbox_id) ?? { payload: row.payload, bots: new Set<string>() };
    entry.bots.add(row.bot_id);
    leaving.set(row.outbox_id, entry);
  }
  const updates = [...leaving].map(([id, { payload, bots }]) => ({ id, payload: { ...payload, sites: (payload.sites ?? []).filter((site) => !bots.has(site.id)) } }));
  await tx.query(
    `UPDATE alert_outbox o SET payload = u.payload,
       status = CASE WHEN jsonb_array_length(u.payload->'sites') = 0 THEN 'dropped' ELSE o.status END,
       last_error = CASE WHEN jsonb_array_length(u.payload->'sites') = 0 THEN 'every site in it reported again within the group window' ELSE o.last_error END
     FROM unnest($1::bigint[], $2::jsonb[]) AS u(id, payload) WHERE o.id = u.id`,
    [updates.map((u) => u.id), updates.map((u) => JSON.stringify(u.payload))],
  );
  return new Set(rows.map((row) => row.episode_id));
}
