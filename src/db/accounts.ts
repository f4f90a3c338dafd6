// Plain SQL for accounts, their members, invitations and the audit log (sql/200_accounts.sql).
// An account's id is the user_id column of every owned table (bots, channels, schedules, …).
import { emailKey } from '../domain/email-address.ts';
import type { Role } from '../domain/roles.ts';
import type { Queryable } from './database.ts';
import { isUuid } from './bots.ts';

export interface AccountRow {
  id: string;
  name: string;
  created_at: Date;
}

export interface MembershipRow {
  account_id: string;
  account_name: string;
  role: Role;
  notify: boolean;
}

export interface MemberRow {
  user_id: string;
  email: string;
  name: string | null;
  role: Role;
  notify: boolean;
  created_at: Date;
}

/** Every account the user belongs to: their own first, then by when they joined. */
export async function listMemberships(db: Queryable, userId: string): Promise<MembershipRow[]> {
  const { rows } = await db.query<MembershipRow>(
    `SELECT m.account_id, a.name AS account_name, m.role, m.notify FROM account_members m JOIN accounts a ON a.id = m.account_id
     WHERE m.user_id = $1 ORDER BY (m.account_id = m.user_id) DESC, m.created_at, m.account_id`,
    [userId],
  );
  return rows;
}

export async function findMembership(db: Queryable, accountId: string, userId: string): Promise<MembershipRow | undefined> {
  if (!isUuid(accountId)) return undefined;
  const { rows } = await db.query<MembershipRow>(
    `SELECT m.account_id, a.name AS account_name, m.role, m.notify FROM account_members m JOIN accounts a ON a.id = m.account_id
     WHERE m.account_id = $1 AND m.user_id = $2`,
    [accountId, userId],
  );
  return rows[0];
}

export async function listMembers(db: Queryable, accountId: string): Promise<MemberRow[]> {
  const { rows } = await db.query<MemberRow>(
    `SELECT m.user_id, u.email, u.name, m.role, m.notify, m.created_at FROM account_members m JOIN users u ON u.id = m.user_id
     WHERE m.account_id = $1 ORDER BY m.created_at, u.email`,
    [accountId],
  );
  return rows;
}

/** The member's row locked with the account's owner count, for a change that must keep an owner. */
export async function lockMember(db: Queryable, accountId: string, userId: string): Promise<{ role: Role; owners: number } | undefined> {
  if (!isUuid(userId)) return undefined;
  await db.query('SELECT id FROM accounts WHERE id = $1 FOR UPDATE', [accountId]);
  const { rows } = await db.query<{ role: Role; owners: number }>(
    `SELECT m.role, (SELECT count(*)::int FROM account_members o WHERE o.account_id = $1 AND o.role = 'owner') AS owners
     FROM account_members m WHERE m.account_id = $1 AND m.user_id = $2`,
    [accountId, userId],
  );
  return rows[0];
}

export async function addMember(db: Queryable, accountId: string, userId: string, role: Role, now: Date): Promise<boolean> {
  const result = await db.query(
    `INSERT INTO account_members (account_id, user_id, role, notify, created_at) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (account_id, user_id) DO NOTHING`,
    [accountId, userId, role, role === 'owner', now],
  );
  return result.rowCount > 0;
}

export async function setMemberRole(db: Queryable, accountId: string, userId: string, role: Role): Promise<void> {
  await db.query('UPDATE account_members SET role = $3 WHERE account_id = $1 AND user_id = $2', [accountId, userId, role]);
}

export async function setMemberNotify(db: Queryable, accountId: string, userId: string, notify: boolean): Promise<void> {
  await db.query('UPDATE account_members SET notify = $3 WHERE account_id = $1 AND user_id = $2', [accountId, userId, notify]);
}

/** Removes the member, ends their sessions in the account and revokes the keys they made there. */
export async function removeMember(db: Queryable, accountId: string, userId: string): Promise<{ keys: number; sessions: number }> {
  await db.query('DELETE FROM account_members WHERE account_id = $1 AND user_id = $2', [accountId, userId]);
  const keys = await db.query('DELETE FROM api_keys WHERE account_id = $1 AND user_id = $2', [accountId, userId]);
  const sessions = await db.query('DELETE FROM sessions WHERE account_id = $1 AND user_id = $2', [accountId, userId]);
  return { keys: keys.rowCount, sessions: sessions.rowCount };
}

/**
 * A person who belongs to no account (they deleted theirs) gets an account of their own again,
 * with their uuid as at sign-up; undefined when that id is taken (their first account lives on
 * under other owners after they were removed from it).
 */
export async function recreateOwnAccount(db: Queryable, user: { id: string; email: string; name: string | null }, now: Date): Promise<string | undefined> {
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO accounts (id, name, created_at) VALUES ($1, left(coalesce(nullif($2, ''), $3), 200), $4) ON CONFLICT (id) DO NOTHING RETURNING id`,
    [user.id, user.name, user.email, now],
  );
  if (!rows[0]) return undefined;
  await db.query("INSERT INTO account_members (account_id, user_id, role, notify, created_at) VALUES ($1, $1, 'owner', true, $2)", [user.id, now]);
  return user.id;
}

export async function renameAccount(db: Queryable, accountId: string, name: string): Promise<void> {
  await db.query('UPDATE accounts SET name = $2 WHERE id = $1', [accountId, name]);
}

/** Deletes the account and everything it owns (bots, channels, schedules, keys, sessions in it, its audit log). */
export async function deleteAccount(db: Queryable, accountId: string): Promise<boolean> {
  const result = await db.query('DELETE FROM accounts WHERE id = $1', [accountId]);
  return result.rowCount > 0;
}

// --- Invitations -------------------------------------------------------------------------------

export interface InvitationRow {
  id: string;
  account_id: string;
  email: string;
  role: Role;
  invited_by: string | null;
  created_at: Date;
  sent_at: Date;
  expires_at: Date;
  accepted_at: Date | null;
}

/** A new open invitation, or the open one for that address renewed (role, expiry); the row either way. */
export async function upsertInvitation(
  db: Queryable,
  invitation: { accountId: string; email: string; role: Role; invitedBy: string; now: Date; expiresAt: Date },
): Promise<InvitationRow> {
  const { rows } = await db.query<InvitationRow>(
    `INSERT INTO account_invitations (account_id, email, role, invited_by, created_at, sent_at, expires_at)
     VALUES ($1, $2, $3, $4, $5, $5, $6)
     ON CONFLICT (account_id, email) WHERE accepted_at IS NULL
     DO UPDATE SET role = EXCLUDED.role, invited_by = EXCLUDED.invited_by, sent_at = EXCLUDED.sent_at, expires_at = EXCLUDED.expires_at
     RETURNING *`,
    [invitation.accountId, emailKey(invitation.email), invitation.role, invitation.invitedBy, invitation.now, invitation.expiresAt],
  );
  return rows[0]!;
}

export async function findInvitation(db: Queryable, id: string): Promise<(InvitationRow & { account_name: string }) | undefined> {
  if (!isUuid(id)) return undefined;
  const { rows } = await db.query<InvitationRow & { account_name: string }>(
    'SELECT i.*, a.name AS account_name FROM account_invitations i JOIN accounts a ON a.id = i.account_id WHERE i.id = $1',
    [id],
  );
  return rows[0];
}

export async function findAccountInvitation(db: Queryable, accountId: string, id: string): Promise<InvitationRow | undefined> {
  if (!isUuid(id)) return undefined;
  const { rows } = await db.query<InvitationRow>('SELECT * FROM account_invitations WHERE account_id = $1 AND id = $2 AND accepted_at IS NULL', [accountId, id]);
  return rows[0];
}

/** Open invitations of the account (expired ones too, so they can be sent again). */
export async function listInvitations(db: Queryable, accountId: string): Promise<InvitationRow[]> {
  const { rows } = await db.query<InvitationRow>(
    'SELECT * FROM account_invitations WHERE account_id = $1 AND accepted_at IS NULL ORDER BY created_at DESC, id',
    [accountId],
  );
  return rows;
}

export async function renewInvitation(db: Queryable, id: string, now: Date, expiresAt: Date): Promise<void> {
  await db.query('UPDATE account_invitations SET sent_at = $2, expires_at = $3 WHERE id = $1', [id, now, expiresAt]);
}

export async function deleteInvitation(db: Queryable, accountId: string, id: string): Promise<boolean> {
  if (!isUuid(id)) return false;
  const result = await db.query('DELETE FROM account_invitations WHERE account_id = $1 AND id = $2 AND accepted_at IS NULL', [accountId, id]);
  return result.rowCount > 0;
}

/** Marks the invitation used (once: a compare-and-set); false when it was used or is gone. */
export async function claimInvitation(db: Queryable, id: string, userId: string, now: Date): Promise<boolean> {
  const result = await db.query(
    'UPDATE account_invitations SET accepted_at = $3, accepted_by = $2 WHERE id = $1 AND accepted_at IS NULL AND expires_at > $3',
    [id, userId, now],
  );
  return result.rowCount > 0;
}

// --- Audit log ---------------------------------------------------------------------------------

export interface AuditEntry {
  accountId: string;
  at: Date;
  actorUserId: string | null;
  actorEmail: string | null;
  via: 'session' | 'api_key' | 'link' | 'cli';
  action: string;
  target: string | null;
  details: Record<string, unknown> | null;
}

export interface AuditRow {
  id: number;
  at: Date;
  actor_user_id: string | null;
  actor_email: string | null;
  via: string;
  action: string;
  target: string | null;
  details: Record<string, unknown> | null;
}

/** Records one entry and drops the account's entries older than `keepMs`. */
export async function insertAudit(db: Queryable, entry: AuditEntry, keepMs: number): Promise<void> {
  await db.query(
    `INSERT INTO audit_log (account_id, at, actor_user_id, actor_email, via, action, target, details) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [entry.accountId, entry.at, entry.actorUserId, entry.actorEmail, entry.via, entry.action, entry.target, entry.details === null ? null : JSON.stringify(entry.details)],
  );
  await db.query("DELETE FROM audit_log WHERE account_id = $1 AND at < $2::timestamptz - $3 * interval '1 millisecond'", [entry.accountId, entry.at, keepMs]);
}

/** A page of the account's entries, newest first, before the entry id `before` (keyset paging). */
export async function listAudit(db: Queryable, accountId: string, options: { since: Date; before?: number; limit: number }): Promise<AuditRow[]> {
  const { rows } = await db.query<AuditRow>(
    `SELECT id, at, actor_user_id, actor_email, via, action, target, details FROM audit_log
     WHERE account_id = $1 AND at >= $2 AND ($3::bigint IS NULL OR id < $3) ORDER BY id DESC LIMIT $4`,
    [accountId, options.since, options.before ?? null, options.limit],
  );
  return rows;
}
