// SIGNUP=verify: an account made by the sign-up form may log in only once its address confirmed a
// signed link (src/alerts/signed-links.ts), so nobody can hold an account under someone else's
// address. Never imports fastify.
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
import type { Database, Queryable } from '../db/database.ts';
import { enqueueMail } from '../db/outbox.ts';
import { claimConfirmationSend, confirmUserEmail, findUserById, type UserRow } from '../db/users.ts';
import { signLink, verifyLink } from '../alerts/signed-links.ts';

export const RESEND_EVERY_MS = 3_600_000;

export interface SignupConfirmationDeps {
  db: Database;
  /** The signing secret; read when first needed, so building the app never touches the database. */
  secret: () => Promise<string>;
  now: () => Date;
}

export type ConfirmOutcome = { kind: 'invalid' } | { kind: 'expired' } | { kind: 'not_found' } | { kind: 'confirm'; email: string } | { kind: 'confirmed'; email: string };
export type ResendOutcome = { kind: 'invalid' } | { kind: 'expired' } | { kind: 'sent'; email: string } | { kind: 'too_soon'; email: string; retryAfterSeconds: number } | { kind: 'confirmed' };

/** Queues a confirmation mail for the account if none was queued in the last hour; true when queued. */
export async function queueConfirmationMail(tx: Queryable, user: Pick<UserRow, 'id' | 'email'>, now: Date): Promise<boolean> {
  if (!(await claimConfirmationSend(tx, user.id, now, RESEND_EVERY_MS))) return false;
  await enqueueMail(tx, {
    dedupeKey: `signup_confirmation:${user.id}:${now.toISOString()}`,
    kind: 'signup_confirmation',
    toAddress: user.email,
    payload: { user_id: user.id },
    status: 'pending',
    now,
  });
  return true;
}

export function createSignupConfirmation({ db, secret, now }: SignupConfirmationDeps) {
  const check = async (token: unknown, action: 'confirm_signup' | 'resend_confirmation') => {
    const verified = verifyLink(await secret(), token, now());
    if (!verified.ok) return { kind: verified.reason === 'expired' ? ('expired' as const) : ('invalid' as const) };
    if (verified.claims.action !== action) return { kind: 'invalid' as const };
    const user = await findUserById(db, verified.claims.userId);
    return user ? { kind: 'ok' as const, user } : { kind: 'not_found' as const };
  };

  return {
    /** The token for the log-in page's "send the link again" button (after the right password). */
    async resendToken(user: UserRow): Promise<string> {
      return signLink(await secret(), { action: 'resend_confirmation', userId: user.id }, now());
    },

    /** For the GET page: is this link good? Changes nothing. */
    async inspect(token: unknown): Promise<ConfirmOutcome> {
      const checked = await check(token, 'confirm_signup');
      if (checked.kind !== 'ok') return checked;
      return checked.user.confirmation_required_since ? { kind: 'confirm', email: checked.user.email } : { kind: 'confirmed', email: checked.user.email };
    },

    async confirm(token: unknown): Promise<ConfirmOutcome> {
      const checked = await check(token, 'confirm_signup');
      if (checked.kind !== 'ok') return checked;
      await confirmUserEmail(db, checked.user.id, checked.user.email, now());
      return { kind: 'confirmed', email: checked.user.email };
    },

    async resend(token: unknown): Promise<ResendOutcome> {
      const checked = await check(token, 'resend_confirmation');
      if (checked.kind === 'not_found') return { kind: 'invalid' };
      if (checked.kind !== 'ok') return checked;
      const { user } = checked;
      if (!user.confirmation_required_since) return { kind: 'confirmed' };
      const at = now();
      if (await db.transaction((tx) => queueConfirmationMail(tx, user, at))) return { kind: 'sent', email: user.email };
      const sentAt = user.confirmation_sent_at?.getTime() ?? at.getTime();
      return { kind: 'too_soon', email: user.email, retryAfterSeconds: Math.max(1, Math.ceil((sentAt + RESEND_EVERY_MS - at.getTime()) / 1000)) };
    },
  };
}

export type SignupConfirmation = ReturnType<typeof createSignupConfirmation>;
