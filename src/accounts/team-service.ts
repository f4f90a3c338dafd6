// Several people in one account (docs/dashboard.md "Accounts, members and roles"): the members and
// their roles, invitations (a signed single-use link mailed through the outbox, 7 days), each
// member's opt-in to the account's alert mail, the account switcher's list, and the audit log.
// Never imports fastify; the role rules are src/domain/roles.ts.
import {
  addMember,
  claimInvitation,
  deleteAccount,
  deleteInvitation,
  renameAccount,
  findAccountInvitation,
  findInvitation,
  insertAudit,
  listAudit,
  listInvitations,
  listMembers,
  listMemberships,
  lockMember,
  removeMember,
  renewInvitation,
  setMemberNotify,
  setMemberRole,
  upsertInvitation,
  type AuditEntry,
  type InvitationRow,
} from '../db/accounts.ts';
import type { Database, Queryable } from '../db/database.ts';
import { enqueueMail } from '../db/outbox.ts';
import { accountInvitationKey } from '../domain/alert-keys.ts';
import { emailKey } from '../domain/email-address.ts';
import { isRole, keepsAnOwner, mayManageMember, type AccountContext, type Actor, type Role } from '../domain/roles.ts';

export type { Actor };
import { AUDIT_KEEP_MS } from '../domain/retention.ts';
import { ConflictError, ForbiddenError, NotFoundError, TooManyRequestsError, ValidationError } from '../errors.ts';
import type { UserRow } from '../db/users.ts';
import { validateEmail, validateName } from './user-service.ts';

export const INVITATION_LIFETIME_MS = 7 * 86_400_000;
/** One invitation mail per address and account an hour, like a contact's confirmation mail. */
export const INVITATION_RESEND_MS = 3_600_000;

export interface TeamServiceDeps {
  db: Database;
  now: () => Date;
}


export type AcceptOutcome =
  | { kind: 'invalid' }
  | { kind: 'expired' }
  | { kind: 'used' }
  | { kind: 'wrong_address'; email: string }
  | { kind: 'ready'; invitation: InvitationRow & { account_name: string } }
  | { kind: 'joined'; accountId: string; accountName: string };

function parseRole(role: unknown): Role {
  if (!isRole(role)) throw new ValidationError('role must be one of owner, manager, member, viewer');
  return role;
}

export function invitationToJson(row: InvitationRow) {
  return { id: row.id, email: row.email, role: row.role, sent_at: row.sent_at.toISOString(), expires_at: row.expires_at.toISOString() };
}

export function createTeamService({ db, now }: TeamServiceDeps) {
  const audit = (tx: Queryable, actor: Actor, action: string, target: string | null, details: Record<string, unknown> | null = null) =>
    insertAudit(
      tx,
      { accountId: actor.account.id, at: now(), actorUserId: actor.user.id, actorEmail: actor.user.email, via: actor.via, action, target, details },
      AUDIT_KEEP_MS,
    );

  async function queueInvitation(tx: Queryable, invitation: InvitationRow, accountName: string, invitedBy: string | null, at: Date) {
    await enqueueMail(tx, {
      dedupeKey: accountInvitationKey(invitation.id, at),
      kind: 'account_invitation',
      toAddress: invitation.email,
      payload: { account_id: invitation.account_id, invitation_id: invitation.id, account_name: accountName, role: invitation.role, invited_by: invitedBy },
      status: 'pending',
      now: at,
    });
  }

  /** A member of the account, locked, checked against the rules for changing them to `next`. */
  async function checkChange(tx: Queryable, actor: Actor, userId: string, next: Role | undefined) {
    const target = await lockMember(tx, actor.account.id, userId);
    if (!target) throw new NotFoundError('Member not found');
    if (!mayManageMember(actor.account.role, target.role, next)) throw new ForbiddenError('Only an owner may change owners and managers, or make someone one');
    if (!keepsAnOwner(target.owners, target.role, next)) throw new ConflictError('An account keeps at least one owner: make someone else an owner first');
    return target;
  }

  /** The invitation page: whose link is this, and may this person use it? Changes nothing. */
  async function inspect(claims: { userId: string; invitationId?: string } | undefined, person: Pick<UserRow, 'email'>): Promise<AcceptOutcome> {
    if (!claims?.invitationId) return { kind: 'invalid' };
    const invitation = await findInvitation(db, claims.invitationId);
    if (!invitation || invitation.account_id !== claims.userId) return { kind: 'invalid' };
    if (invitation.accepted_at) return { kind: 'used' };
    if (invitation.expires_at <= now()) return { kind: 'expired' };
    // The link went to that mailbox: only a login with that address may use it.
    if (emailKey(person.email) !== invitation.email) return { kind: 'wrong_address', email: invitation.email };
    return { kind: 'ready', invitation };
  }

  return {
    /** The accounts the person belongs to (the account switcher). */
    accountsOf: (userId: string) => listMemberships(db, userId),

    async members(accountId: string) {
      const [members, invitations] = await Promise.all([listMembers(db, accountId), listInvitations(db, accountId)]);
      return { members, invitations };
    },

    /** Invites an address (parsed like every address, src/domain/email-address.ts) with a role. */
    async invite(actor: Actor, input: { email?: unknown; role?: unknown }): Promise<InvitationRow> {
      const email = validateEmail(input.email);
      const role = parseRole(input.role ?? 'member');
      if (!mayManageMember(actor.account.role, undefined, role)) throw new ForbiddenError('Only an owner may invite an owner or a manager');
      const at = now();
      return db.transaction(async (tx) => {
        const members = await listMembers(tx, actor.account.id);
        if (members.some((m) => m.email === emailKey(email))) throw new ConflictError(`${email} is already a member of this account`);
        const open = (await listInvitations(tx, actor.account.id)).find((i) => i.email === emailKey(email));
        if (open) throwIfTooSoon(open, at);
        const invitation = await upsertInvitation(tx, {
          accountId: actor.account.id,
          email,
          role,
          invitedBy: actor.user.id,
          now: at,
          expiresAt: new Date(at.getTime() + INVITATION_LIFETIME_MS),
        });
        await queueInvitation(tx, invitation, actor.account.name, actor.user.email, at);
        await audit(tx, actor, 'members:invite', email, { role });
        return invitation;
      });
    },

    /** Sends an open invitation again, with a new week (at most once an hour). */
    async resend(actor: Actor, invitationId: string): Promise<InvitationRow> {
      const at = now();
      return db.transaction(async (tx) => {
        const invitation = await findAccountInvitation(tx, actor.account.id, invitationId);
        if (!invitation) throw new NotFoundError('Invitation not found');
        if (!mayManageMember(actor.account.role, undefined, invitation.role)) throw new ForbiddenError('Only an owner may invite an owner or a manager');
        throwIfTooSoon(invitation, at);
        const expiresAt = new Date(at.getTime() + INVITATION_LIFETIME_MS);
        await renewInvitation(tx, invitation.id, at, expiresAt);
        await queueInvitation(tx, invitation, actor.account.name, actor.user.email, at);
        await audit(tx, actor, 'members:invite-resend', invitation.email, null);
        return { ...invitation, sent_at: at, expires_at: expiresAt };
      });
    },

    async cancelInvitation(actor: Actor, invitationId: string): Promise<void> {
      await db.transaction(async (tx) => {
        const invitation = await findAccountInvitation(tx, actor.account.id, invitationId);
        if (!invitation || !(await deleteInvitation(tx, actor.account.id, invitationId))) throw new NotFoundError('Invitation not found');
        await audit(tx, actor, 'members:invite-cancel', invitation.email, null);
      });
    },

    async changeRole(actor: Actor, userId: string, role: unknown): Promise<void> {
      const next = parseRole(role);
      await db.transaction(async (tx) => {
        const target = await checkChange(tx, actor, userId, next);
        await setMemberRole(tx, actor.account.id, userId, next);
        await audit(tx, actor, 'members:role', userId, { from: target.role, to: next });
      });
    },

    /** Removes a member: their sessions in this account end and the keys they made here are revoked. */
    async remove(actor: Actor, userId: string): Promise<{ keys: number; sessions: number }> {
      return db.transaction(async (tx) => {
        const target = await checkChange(tx, actor, userId, undefined);
        const ended = await removeMember(tx, actor.account.id, userId);
        await audit(tx, actor, 'members:remove', userId, { role: target.role, keys_revoked: ended.keys });
        return ended;
      });
    },

    /**
     * The person leaves the account they work in (`confirm` is its name, as deleting asks): their
     * sessions there end and the keys they made there are revoked. The last owner cannot leave.
     */
    async leave(actor: Actor, confirm: unknown): Promise<void> {
      if (confirm !== actor.account.name) throw new ValidationError(`type the account's name (${actor.account.name}) in confirm to leave it`);
      await db.transaction(async (tx) => {
        const me = await lockMember(tx, actor.account.id, actor.user.id);
        if (!me) throw new NotFoundError('Member not found');
        if (!keepsAnOwner(me.owners, me.role, undefined)) throw new ConflictError('An account keeps at least one owner: make someone else an owner first');
        const ended = await removeMember(tx, actor.account.id, actor.user.id);
        await audit(tx, actor, 'members:leave', actor.user.id, { role: me.role, keys_revoked: ended.keys });
      });
    },

    /** This member's opt-in to the account's alert mail. */
    async setNotify(actor: Actor, notify: boolean): Promise<void> {
      await db.transaction(async (tx) => {
        await setMemberNotify(tx, actor.account.id, actor.user.id, notify);
        await audit(tx, actor, 'members:notify', actor.user.id, { notify });
      });
    },

    inspect,

    /** Joins the account once (the invitation is claimed by a compare-and-set). */
    async accept(claims: { userId: string; invitationId?: string } | undefined, person: Pick<UserRow, 'id' | 'email'>): Promise<AcceptOutcome> {
      const checked = await inspect(claims, person);
      if (checked.kind !== 'ready') return checked;
      const { invitation } = checked;
      const at = now();
      return db.transaction(async (tx) => {
        if (!(await claimInvitation(tx, invitation.id, person.id, at))) return { kind: 'used' as const };
        await addMember(tx, invitation.account_id, person.id, invitation.role, at);
        await insertAudit(
          tx,
          { accountId: invitation.account_id, at, actorUserId: person.id, actorEmail: person.email, via: 'link', action: 'members:join', target: person.id, details: { role: invitation.role } },
          AUDIT_KEEP_MS,
        );
        return { kind: 'joined' as const, accountId: invitation.account_id, accountName: invitation.account_name };
      });
    },

    async rename(actor: Actor, name: unknown): Promise<void> {
      const value = validateName(typeof name === 'string' ? name : undefined);
      if (!value) throw new ValidationError('name must not be empty');
      await db.transaction(async (tx) => {
        await renameAccount(tx, actor.account.id, value);
        await audit(tx, actor, 'account:rename', actor.account.id, { from: actor.account.name, to: value });
      });
    },

    /** Deletes the account with everything it owns; the caller types its name to confirm. */
    async deleteAccount(actor: Actor, confirm: unknown): Promise<void> {
      if (confirm !== actor.account.name) throw new ValidationError(`type the account's name (${actor.account.name}) in confirm to delete it with all its bots, channels and keys`);
      await deleteAccount(db, actor.account.id);
    },

    /** Records what a request did (src/http/audit-hook.ts). */
    record: (actor: Actor, action: string, target: string | null, details: Record<string, unknown> | null) => audit(db, actor, action, target, details),

    /** A page of the audit log, newest first; `before` is the last id of the previous page. */
    async auditPage(accountId: string, options: { before?: unknown; limit?: unknown }) {
      const before = options.before === undefined || options.before === '' ? undefined : Number(options.before);
      if (before !== undefined && (!Number.isSafeInteger(before) || before < 1)) throw new ValidationError('before must be a positive whole number (the id of the last entry of the previous page)');
      const limit = options.limit === undefined || options.limit === '' ? 50 : Number(options.limit);
      if (!Number.isSafeInteger(limit) || limit < 1 || limit > 200) throw new ValidationError('limit must be a whole number from 1 to 200');
      const since = new Date(now().getTime() - AUDIT_KEEP_MS);
      const rows = await listAudit(db, accountId, { since, before, limit });
      return { entries: rows, next: rows.length === limit ? rows[rows.length - 1]!.id : null };
    },
  };
}

function throwIfTooSoon(invitation: InvitationRow, at: Date): void {
  const wait = invitation.sent_at.getTime() + INVITATION_RESEND_MS - at.getTime();
  if (wait > 0) throw new TooManyRequestsError(`An invitation went to ${invitation.email} less than an hour ago: send it again later`, Math.ceil(wait / 1000));
}

export type TeamService = ReturnType<typeof createTeamService>;
