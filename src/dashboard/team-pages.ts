// The account's people on the dashboard (docs/dashboard.md "Accounts, members and roles"): the
// members page (list, invite, re-role, remove, re-send and cancel invitations), the invitation
// link's page (a "Join" form: mail scanners prefetch links) and the audit log. Session and CSRF
// token in each form; the role check comes from each route's action (src/http/route-actions.ts).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { SessionService } from '../accounts/session-service.ts';
import type { TeamService } from '../accounts/team-service.ts';
import type { InvitationLinks } from '../alerts/invitation-links.ts';
import { ROLES, mayManageMember } from '../domain/roles.ts';
import { formatExact } from '../domain/time-ago.ts';
import { AppError } from '../errors.ts';
import { SESSION_COOKIE } from '../http/authenticate.ts';
import { fields, form, text } from '../http/text-schemas.ts';
import { actorOf } from '../http/authorize.ts';
import { requireViewer, type PageRenderer } from './session-hooks.ts';

export interface TeamPageDeps {
  team: TeamService;
  invitations: InvitationLinks;
  sessions: SessionService;
  render: PageRenderer;
  now: () => Date;
}

type Form = Record<string, string | undefined>;
type IdParams = { Params: { id: string } };

const schemas = {
  membersPage: { querystring: fields({ done: text({ maxLength: 20 }) }) },
  invite: { body: form({ email: text({ maxLength: 320 }), role: text({ maxLength: 20 }) }) },
  role: { body: form({ role: text({ maxLength: 20 }) }) },
  action: { body: form() },
  acceptPage: { querystring: fields({ t: text({ maxLength: 1024 }) }) },
  accept: { body: form({ t: text({ maxLength: 1024 }) }) },
  auditPage: { querystring: fields({ before: text({ maxLength: 20 }) }) },
  rename: { body: form({ name: text({ maxLength: 200 }) }) },
  remove: { body: form({ confirm: text({ maxLength: 200 }) }) },
};

const DONE: Record<string, string> = {
  invited: 'Invitation sent.',
  resent: 'Invitation sent again.',
  cancelled: 'Invitation cancelled.',
  role: 'Role changed.',
  removed: 'Member removed: their sessions here ended and the API keys they made here were revoked.',
};

export async function teamPages(app: FastifyInstance, { team, invitations, sessions, render, now }: TeamPageDeps) {
  const viewer = requireViewer(sessions);
  const csrf = app.csrfProtection;

  const membersPage = async (request: FastifyRequest, reply: FastifyReply, extra: Record<string, unknown> = {}) => {
    const account = request.account!;
    const zone = request.viewer!.timezone;
    const { members, invitations: open } = await team.members(account.id);
    const at = now().getTime();
    return render.page(request, reply, 'members', {
      title: 'Members',
      account,
      members: members.map((m) => ({
        ...m,
        isYou: m.user_id === request.viewer!.id,
        joined: formatExact(m.created_at, zone),
        mayChange: mayManageMember(account.role, m.role, undefined),
        roles: ROLES.filter((role) => mayManageMember(account.role, m.role, role)).map((role) => ({ role, selected: role === m.role })),
      })),
      invitations: open.map((i) => ({ ...i, sent: formatExact(i.sent_at, zone), expired: i.expires_at.getTime() <= at, expires: formatExact(i.expires_at, zone) })),
      inviteRoles: ROLES.filter((role) => mayManageMember(account.role, undefined, role)),
      ...extra,
    });
  };

  /** Runs a change from a form; an expected refusal shows the page again with its message and status. */
  const fromForm = async (request: FastifyRequest, reply: FastifyReply, change: () => Promise<unknown>, done: string) => {
    try {
      await change();
    } catch (error) {
      if (!(error instanceof AppError) || error.statusCode === 404) throw error;
      reply.code(error.statusCode);
      return membersPage(request, reply, { error: error.message });
    }
    return reply.redirect(`/members?done=${done}`, 303);
  };

  app.get<{ Querystring: Form }>('/members', { schema: schemas.membersPage, preHandler: viewer }, async (request, reply) =>
    membersPage(request, reply, { notice: DONE[request.query.done ?? ''] }),
  );

  app.post<{ Body: Form }>('/members', { schema: schemas.invite, preHandler: [viewer, csrf] }, async (request, reply) =>
    fromForm(request, reply, () => team.invite(actorOf(request), { email: request.body?.email, role: request.body?.role || undefined }), 'invited'),
  );

  app.post<IdParams & { Body: Form }>('/members/:id/role', { schema: schemas.role, preHandler: [viewer, csrf] }, async (request, reply) =>
    fromForm(request, reply, () => team.changeRole(actorOf(request), request.params.id, request.body?.role), 'role'),
  );

  app.post<IdParams>('/members/:id/remove', { schema: schemas.action, preHandler: [viewer, csrf] }, async (request, reply) =>
    fromForm(request, reply, () => team.remove(actorOf(request), request.params.id), 'removed'),
  );

  app.post<IdParams>('/invitations/:id/resend', { schema: schemas.action, preHandler: [viewer, csrf] }, async (request, reply) =>
    fromForm(request, reply, () => team.resend(actorOf(request), request.params.id), 'resent'),
  );

  app.post<IdParams>('/invitations/:id/delete', { schema: schemas.action, preHandler: [viewer, csrf] }, async (request, reply) =>
    fromForm(request, reply, () => team.cancelInvitation(actorOf(request), request.params.id), 'cancelled'),
  );

  // The invitation link: without a session the browser goes to log in (or sign up) and comes back.
  const OUTCOME_STATUS = { invalid: 400, expired: 410, used: 410, wrong_address: 403 } as const;
  const invitationPage = (request: FastifyRequest, reply: FastifyReply, outcome: Awaited<ReturnType<InvitationLinks['inspect']>>, token: string) => {
    if (outcome.kind !== 'ready' && outcome.kind !== 'joined') reply.code(OUTCOME_STATUS[outcome.kind]);
    return render.page(request, reply, 'invitation', { title: 'Invitation', outcome: outcome.kind, invitation: outcome.kind === 'ready' ? outcome.invitation : undefined, email: outcome.kind === 'wrong_address' ? outcome.email : undefined, token });
  };

  app.get<{ Querystring: Form }>('/invitations/accept', { schema: schemas.acceptPage, preHandler: viewer }, async (request, reply) =>
    invitationPage(request, reply, await invitations.inspect(request.query.t, request.viewer!), request.query.t ?? ''),
  );

  app.post<{ Body: Form }>('/invitations/accept', { schema: schemas.accept, preHandler: [viewer, csrf] }, async (request, reply) => {
    const outcome = await invitations.accept(request.body?.t, request.viewer!);
    if (outcome.kind !== 'joined') return invitationPage(request, reply, outcome, request.body?.t ?? '');
    // The new member lands in the account they joined.
    await sessions.switchAccount(request.cookies[SESSION_COOKIE]!, request.viewer!.id, outcome.accountId);
    return reply.redirect('/bots', 303);
  });

  app.post<{ Body: Form }>('/account/rename', { schema: schemas.rename, preHandler: [viewer, csrf] }, async (request, reply) => {
    await team.rename(actorOf(request), request.body?.name);
    return reply.redirect('/account?saved=1', 303);
  });

  // Leaving ends this person's sessions in the account, this one included: back to log in, where
  // their other accounts (or, with none left, a new one of their own) are open to them.
  app.post<{ Body: Form }>('/account/leave', { schema: schemas.remove, preHandler: [viewer, csrf] }, async (request, reply) => {
    await team.leave(actorOf(request), request.body?.confirm);
    return reply.redirect('/login?left=1', 303);
  });

  // Deleting the account ends this session with it (it worked in that account): back to log in.
  app.post<{ Body: Form }>('/account/delete', { schema: schemas.remove, preHandler: [viewer, csrf] }, async (request, reply) => {
    await team.deleteAccount(actorOf(request), request.body?.confirm);
    return reply.redirect('/login', 303);
  });

  app.get<{ Querystring: Form }>('/audit', { schema: schemas.auditPage, preHandler: viewer }, async (request, reply) => {
    const zone = request.viewer!.timezone;
    const page = await team.auditPage(request.account!.id, { before: request.query.before });
    return render.page(request, reply, 'audit', {
      title: 'Audit log',
      entries: page.entries.map((e) => ({ ...e, when: formatExact(e.at, zone), details: e.details ? JSON.stringify(e.details) : '' })),
      next: page.next,
    });
  });
}
