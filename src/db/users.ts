// Plain SQL for users (accounts, alert recipients, the alert-mail switch) and their API keys.
import { emailKey } from '../domain/email-address.ts';
import type { Queryable } from './database.ts';

export interface UserRow {
  id: string;
  email: string;
  password_hash: string;
  name: string | null;
  timezone: string;
  role: 'owner' | 'admin';
  alert_emails: boolean;
  /** Set while a SIGNUP=verify account waits for its address to confirm; null: may log in. */
  confirmation_required_since: Date | null;
  /** When the last confirmation link was queued (resends: one an hour). */
  confirmation_sent_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

export interface NewUser {
  email: string;
  passwordHash: string;
  name?: string | null;
  timezone?: string;
  role?: 'owner' | 'admin';
  /** SIGNUP=verify: the account may log in only after its address confirms (from this time). */
  confirmationRequiredSince?: Date | null;
}

// Addresses reach these functions parsed (src/domain/email-address.ts); emailKey here only makes
// sure that no caller can store or look up another spelling of an address.
export async function insertUser(db: Queryable, user: NewUser): Promise<UserRow> {
  const { rows } = await db.query<UserRow>(
    `INSERT INTO users (email, password_hash, name, timezone, role, confirmation_required_since)
     VALUES ($1, $2, $3, $4, $5, $6) RETURNING *`,
    [emailKey(user.email), user.passwordHash, user.name ?? null, user.timezone ?? 'UTC', user.role ?? 'owner', user.confirmationRequiredSince ?? null],
  );
  return rows[0]!;
}

export async function findUserByEmail(db: Queryable, email: string): Promise<UserRow | undefined> {
  const { rows } = await db.query<UserRow>('SELECT * FROM users WHERE email = $1', [emailKey(email)]);
  return rows[0];
}

export async function findUserById(db: Queryable, id: string): Promise<UserRow | undefined> {
  const { rows } = await db.query<UserRow>('SELECT * FROM users WHERE id = $1', [id]);
  return rows[0];
}

/** What an owner changes in their account settings; undefined when there is no such user. */
export async function updateUserSettings(
  db: Queryable,
  userId: string,
  settings: { name: string | null; timezone: string; alertEmails: boolean },
  now: Date,
): Promise<UserRow | undefined> {
  const { rows } = await db.query<UserRow>(
    'UPDATE users SET name = $2, timezone = $3, alert_emails = $4, updated_at = $5 WHERE id = $1 RETURNING *',
    [userId, settings.name, settings.timezone, settings.alertEmails, now],
  );
  return rows[0];
}

export async function updateUserPassword(db: Queryable, userId: string, passwordHash: string, now: Date): Promise<void> {
  await db.query('UPDATE users SET password_hash = $2, updated_at = $3 WHERE id = $1', [userId, passwordHash, now]);
}

/** A key made by userId in an account (default: their own account, whose id is theirs), with a role (default owner). */
export async function insertApiKey(
  db: Queryable,
  userId: string,
  keyHash: string,
  keyPrefix: string,
  scope: { accountId?: string; role?: string; name?: string | null } = {},
): Promise<void> {
  await db.query('INSERT INTO api_keys (user_id, key_hash, key_prefix, account_id, role, name) VALUES ($1, $2, $3, $4, $5, $6)', [
    userId,
    keyHash,
    keyPrefix,
    scope.accountId ?? userId,
    scope.role ?? 'owner',
    scope.name ?? null,
  ]);
}

export interface RecipientRow {
  id: string;
  email: string;
  name: string | null;
  timezone: string;
  alert_emails: boolean;
  /** The account whose alert this person receives (mute links act on its bots); absent: the person's own. */
  account_id?: string;
}

export async function findRecipients(db: Queryable, userIds: readonly string[]): Promise<Map<string, RecipientRow>> {
  if (userIds.length === 0) return new Map();
  const { rows } = await db.query<RecipientRow>('SELECT id, email, name, timezone, alert_emails FROM users WHERE id = ANY($1::uuid[])', [
    userIds,
  ]);
  return new Map(rows.map((r) => [r.id, r]));
}

/**
 * Who gets each account's alert mail: its members who opted in (account_members.notify) and did
 * not unsubscribe (users.alert_emails), by account id.
 */
export async function findAccountRecipients(db: Queryable, accountIds: readonly string[]): Promise<Map<string, RecipientRow[]>> {
  const found = new Map<string, RecipientRow[]>(accountIds.map((id) => [id, []]));
  if (accountIds.length === 0) return found;
  const { rows } = await db.query<RecipientRow & { account_id: string }>(
    `SELECT u.id, u.email, u.name, u.timezone, u.alert_emails, m.account_id FROM account_members m JOIN users u ON u.id = m.user_id
     WHERE m.account_id = ANY($1::uuid[]) AND m.notify AND u.alert_emails ORDER BY m.account_id, m.created_at, u.id`,
    [accountIds],
  );
  for (const row of rows) found.get(row.account_id)?.push(row);
  return found;
}

/** Turns off every alert mail for the owner; false when there is no such user. */
export async function unsubscribeOwner(db: Queryable, userId: string): Promise<boolean> {
  const result = await db.query('UPDATE users SET alert_emails = false, updated_at = now() WHERE id = $1', [userId]);
  return result.rowCount > 0;
}

/**
 * Claims the right to send a confirmation link now: true (and stamped) when the account still
 * waits for confirmation and no link was queued in the last `everyMs`. A compare-and-set, so two
 * requests at once queue one mail.
 */
export async function claimConfirmationSend(db: Queryable, userId: string, now: Date, everyMs: number): Promise<boolean> {
  const result = await db.query(
    `UPDATE users SET confirmation_sent_at = $2
     WHERE id = $1 AND confirmation_required_since IS NOT NULL
       AND (confirmation_sent_at IS NULL OR confirmation_sent_at <= $2::timestamptz - $3 * interval '1 millisecond')`,
    [userId, now, everyMs],
  );
  return result.rowCount > 0;
}

/** The address confirmed: the account may log in. False when there is no such account. */
export async function confirmUserEmail(db: Queryable, userId: string, email: string, now: Date): Promise<boolean> {
  const result = await db.query(
    `UPDATE users SET confirmation_required_since = NULL, updated_at = $3
     WHERE id = $1 AND email = $2`,
    [userId, emailKey(email), now],
  );
  return result.rowCount > 0;
}

export interface EmailCollisionRow {
  normalized_email: string;
  user_ids: string[];
  emails: string[];
}

/** Accounts stored before the email rule that are one address under it (sql/170_email_normalization.sql). */
export async function findEmailCollisions(db: Queryable): Promise<EmailCollisionRow[]> {
  const { rows } = await db.query<EmailCollisionRow>('SELECT normalized_email, user_ids, emails FROM user_email_collisions ORDER BY normalized_email');
  return rows;
}
