// Plain SQL for the sends an owner asks for (test sends and contact confirmation mails): the
// history the throttles of src/domain/channel-sends.ts judge, kept in the database so the limits
// hold across instances. A check and its record run in one transaction under a per-owner lock.
import type { Queryable } from './database.ts';
import { SEND_LIMITS, type SendHistory, type SendKind } from '../domain/channel-sends.ts';

/** Arbitrary constant naming "an owner's requested sends" (the first key of pg_advisory_xact_lock). */
const SENDS_LOCK_CLASS = 7_402_150;

/**
 * Serializes one owner's requested sends until the transaction ends, on every instance: two
 * presses at the same moment are judged one after the other, so neither slips past the limit.
 */
export async function lockOwnerSends(tx: Queryable, userId: string): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [SENDS_LOCK_CLASS, userId]);
}

/**
 * What decideSend needs: the owner's latest send for the channel (confirmations: to the address,
 * whichever contact asked, so deleting and re-adding a contact does not mail it again) and the
 * owner's recent sends of that kind.
 */
export async function readSendHistory(
  tx: Queryable,
  send: { userId: string; channelId: string; kind: SendKind; address: string | null },
  now: Date,
): Promise<SendHistory> {
  const limit = SEND_LIMITS[send.kind];
  const { rows: last } = await tx.query<{ sent_at: Date }>(
    `SELECT max(sent_at) AS sent_at FROM channel_sends
     WHERE user_id = $1 AND kind = $2 AND sent_at > $5::timestamptz - $6 * interval '1 millisecond'
       AND CASE WHEN $4::text IS NULL THEN channel_id = $3 ELSE address = $4 END`,
    [send.userId, send.kind, send.channelId, send.address, now, limit.perChannelMs],
  );
  const { rows: recent } = await tx.query<{ sent_at: Date }>(
    `SELECT sent_at FROM channel_sends WHERE user_id = $1 AND kind = $2 AND sent_at > $3::timestamptz - $4 * interval '1 millisecond'
     ORDER BY sent_at DESC LIMIT $5`,
    [send.userId, send.kind, now, limit.ownerWindowMs, limit.perOwner],
  );
  return { lastForChannel: last[0]?.sent_at ?? null, ownerRecent: recent.map((row) => row.sent_at) };
}

/** Records a send (and forgets the owner's sends older than a day: no window is longer). */
export async function recordSend(tx: Queryable, send: { userId: string; channelId: string; kind: SendKind; address: string | null }, now: Date): Promise<void> {
  await tx.query("DELETE FROM channel_sends WHERE user_id = $1 AND sent_at < $2::timestamptz - interval '1 day'", [send.userId, now]);
  await tx.query('INSERT INTO channel_sends (user_id, channel_id, kind, address, sent_at) VALUES ($1, $2, $3, $4, $5)', [
    send.userId,
    send.channelId,
    send.kind,
    send.address,
    now,
  ]);
}

/** When the latest confirmation mail for this channel was queued (its page says when a resend is possible). */
export async function lastVerificationSent(db: Queryable, channelId: string): Promise<Date | null> {
  const { rows } = await db.query<{ sent_at: Date | null }>(
    "SELECT max(sent_at) AS sent_at FROM channel_sends WHERE channel_id = $1 AND kind = 'verification'",
    [channelId],
  );
  return rows[0]?.sent_at ?? null;
}
