// Dashboard sessions: log in (password check), resolve a session cookie to its user, log out.
// The cookie holds 256 random bits; the database keeps only their SHA-256. Sessions slide: each
// use (at most one write a minute) pushes the expiry SESSION_TTL_MS ahead.
import { randomBytes } from 'node:crypto';
import type { Database, Queryable } from '../db/database.ts';
import { deleteExpiredSessions, deleteOtherSessions, deleteSession, findSessionUser, insertSession, setSessionAccount, touchSession } from '../db/sessions.ts';
import { findUserByEmail, type UserRow } from '../db/users.ts';
import { findMembership, listMemberships, recreateOwnAccount } from '../db/accounts.ts';
import type { AccountContext } from '../domain/roles.ts';
import { ForbiddenError, NotFoundError } from '../errors.ts';
import { hashSecret, verifyPassword } from './credentials.ts';

export const SESSION_TTL_MS = 30 * 86_400_000;
const TOUCH_EVERY_MS = 60_000;

export interface SessionServiceDeps {
  db: Database;
  now: () => Date;
}

// A fixed scrypt hash, verified against when the email is unknown so both answers take as long.
const DUMMY_HASH = 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

export function createSessionService({ db, now }: SessionServiceDeps) {
  /** The session's person and the account it works in, with their role there. */
  const callerForSession = async (token: string): Promise<{ user: UserRow; account: AccountContext } | undefined> => {
    if (token.length < 20 || token.length > 100) return undefined;
    const at = now();
    const found = await findSessionUser(db, hashSecret(token), at);
    if (!found) return undefined;
    if (at.getTime() - found.session.last_seen_at.getTime() > TOUCH_EVERY_MS) {
      await touchSession(db, found.session.token_hash, at, new Date(at.getTime() + SESSION_TTL_MS));
    }
    return { user: found.user, account: found.account };
  };

  return {
    /** The user whose email (parsed, src/domain/email-address.ts) and password match, or undefined (same time either way). */
    async checkPassword(email: string, password: string): Promise<UserRow | undefined> {
      const user = await findUserByEmail(db, email);
      const ok = await verifyPassword(password, user?.password_hash ?? DUMMY_HASH);
      return user && ok ? user : undefined;
    },

    /** Starts a session; returns the cookie value (shown to the browser only). */
    async startSession(user: UserRow, userAgent: string | undefined): Promise<string> {
      const at = now();
      await deleteExpiredSessions(db, user.id, at);
      return insertNewSession(db, user, await firstAccount(db, user, at), userAgent, at);
    },

    /**
     * After a password change: every session of the user ends, this browser's included, and it
     * gets a new one (returned). A session id copied before the change, from any browser, is then
     * worthless; the browser that made the change stays logged in under its new id.
     */
    rotateAllSessions: (user: UserRow, userAgent: string | undefined, accountId?: string): Promise<string> =>
      db.transaction(async (tx) => {
        await deleteOtherSessions(tx, user.id, null);
        return insertNewSession(tx, user, accountId ?? (await firstAccount(tx, user, now())), userAgent, now());
      }),

    callerForSession,

    async userForSession(token: string): Promise<UserRow | undefined> {
      return (await callerForSession(token))?.user;
    },

    /** The account switcher: another account the person belongs to (else 404, like any other account's thing). */
    async switchAccount(token: string, userId: string, accountId: string): Promise<void> {
      if (!(await findMembership(db, accountId, userId))) throw new NotFoundError('Account not found');
      await setSessionAccount(db, hashSecret(token), accountId);
    },

    endSession: (token: string) => deleteSession(db, hashSecret(token)),
  };
}

/**
 * Where a new session starts: the person's own account, else the first they joined; someone who
 * deleted their only account gets a new one of their own.
 */
async function firstAccount(db: Queryable, user: UserRow, now: Date): Promise<string> {
  const first = (await listMemberships(db, user.id))[0];
  if (first) return first.account_id;
  const own = await recreateOwnAccount(db, user, now);
  if (!own) throw new ForbiddenError('This login belongs to no account any more: ask an owner to invite you again');
  return own;
}

async function insertNewSession(db: Queryable, user: UserRow, accountId: string, userAgent: string | undefined, at: Date): Promise<string> {
  const token = randomBytes(32).toString('base64url');
  await insertSession(db, {
    tokenHash: hashSecret(token),
    userId: user.id,
    accountId,
    now: at,
    expiresAt: new Date(at.getTime() + SESSION_TTL_MS),
    userAgent: userAgent?.slice(0, 300) ?? null,
  });
  return token;
}

export type SessionService = ReturnType<typeof createSessionService>;
