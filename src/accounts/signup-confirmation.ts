// SIGNUP=verify: an account made by the sign-up form may log in only once its address confirmed a
// signed link (src/mail/signed-links.ts), so nobody can hold an account under someone else's
// address. Never imports fastify. The links' side (confirm, resend) is src/alerts/signup-links.ts.
//
// 1. Sign-up inserts the account with confirmation_required_since set and, in the same
//    transaction, queues the confirmation mail in the outbox (sent by the delivery worker, with
//    its retries; the link is signed when the mail is composed).
// 2. The link (GET shows a button, POST acts, as mail scanners prefetch links) clears
//    confirmation_required_since. Confirming twice is fine; the link lasts a week.
// 3. Log-in with the right password on an unconfirmed account is refused with a "send the link
//    again" button: a short-lived signed token, handed out only after the password matched.
// 4. A resend queues a new mail at most once an hour per account (a compare-and-set on
//    confirmation_sent_at), so the button cannot be used to mail an address over and over.
import type { Queryable } from '../db/database.ts';
import { enqueueMail } from '../db/outbox.ts';
import { signupConfirmationKey } from '../domain/alert-keys.ts';
import { claimConfirmationSend, type UserRow } from '../db/users.ts';

export const RESEND_EVERY_MS = 3_600_000;

/**
 * Queues a confirmation mail for the account if none was queued in the last hour; true when queued.
 * `next` is the dashboard page the person was on the way to (an invitation, a plugin's connect
 * request), already checked to be one of ours: the mailed link carries it, so that confirming and
 * logging in lead back there.
 */
export async function queueConfirmationMail(tx: Queryable, user: Pick<UserRow, 'id' | 'email'>, now: Date, next?: string): Promise<boolean> {
  if (!(await claimConfirmationSend(tx, user.id, now, RESEND_EVERY_MS))) return false;
  await enqueueMail(tx, {
    dedupeKey: signupConfirmationKey(user.id, now),
    kind: 'signup_confirmation',
    toAddress: user.email,
    payload: next ? { user_id: user.id, next } : { user_id: user.id },
    status: 'pending',
    now,
  });
  return true;
}
