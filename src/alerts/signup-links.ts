// The links of SIGNUP=verify (src/accounts/signup-confirmation.ts says the whole flow): the mailed
// confirmation link, and the log-in page's "send the link again" token. Never imports fastify.
import type { Database } from '../db/database.ts';
import { confirmUserEmail, findUserById, type UserRow } from '../db/users.ts';
import { queueConfirmationMail, RESEND_EVERY_MS } from '../accounts/signup-confirmation.ts';
import { signLink, verifyLink } from '../mail/signed-links.ts';

export interface SignupConfirmationDeps {
  db: Database;
  /** The signing secret; read when first needed, so building the app never touches the database. */
  secret: () => Promise<string>;
  now: () => Date;
}

export type ConfirmOutcome = { kind: 'invalid' } | { kind: 'expired' } | { kind: 'not_found' } | { kind: 'confirm'; email: string } | { kind: 'confirmed'; email: string };
export type ResendOutcome = { kind: 'invalid' } | { kind: 'expired' } | { kind: 'sent'; email: string } | { kind: 'too_soon'; email: string; retryAfterSeconds: number } | { kind: 'confirmed' };

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

    /** Mails the link again; `next` (checked by the caller) as in queueConfirmationMail. */
    async resend(token: unknown, next?: string): Promise<ResendOutcome> {
      const checked = await check(token, 'resend_confirmation');
      if (checked.kind === 'not_found') return { kind: 'invalid' };
      if (checked.kind !== 'ok') return checked;
      const { user } = checked;
      if (!user.confirmation_required_since) return { kind: 'confirmed' };
      const at = now();
      if (await db.transaction((tx) => queueConfirmationMail(tx, user, at, next))) return { kind: 'sent', email: user.email };
      const sentAt = user.confirmation_sent_at?.getTime() ?? at.getTime();
      return { kind: 'too_soon', email: user.email, retryAfterSeconds: Math.max(1, Math.ceil((sentAt + RESEND_EVERY_MS - at.getTime()) / 1000)) };
    },
  };
}

export type SignupConfirmation = ReturnType<typeof createSignupConfirmation>;
