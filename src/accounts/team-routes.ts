// The account's people over the owner API (docs/dashboard.md "Accounts, members and roles"):
// the caller's accounts, members and invitations, the caller's own alert-mail opt-in, and the
// audit log. Same authentication as the bots API; the role check comes from each route's action
// (src/http/route-actions.ts).
import type { FastifyInstance } from 'fastify';
import { actorOf } from '../http/authorize.ts';
import { csrfForCookieAuth, requireOwner } from '../http/authenticate.ts';
import { errorSchema, ownerSecurity, successAnswer } from '../http/schemas.ts';
import { fields, text } from '../http/text-schemas.ts';
import type { SessionService } from './session-service.ts';
import { invitationToJson, type TeamService } from './team-service.ts';
import type { UserService } from './user-service.ts';

const ROLE = { type: 'string', enum: ['owner', 'manager', 'member', 'viewer'] } as const;
const idParams = { type: 'object', properties: { id: text({ maxLength: 100 }) }, required: ['id'] } as const;
const errors = { 400: errorSchema, 401: errorSchema, 403: errorSchema, 404: errorSchema, 409: errorSchema, 429: errorSchema } as const;
const invitationSchema = {
  type: 'object',
  properties: { id: { type: 'string' }, email: { type: 'string' }, role: ROLE, sent_at: { type: 'string' }, expires_at: { type: 'string' } },
  required: ['id', 'email', 'role', 'sent_at', 'expires_at'],
} as const;

export async function teamRoutes(app: FastifyInstance, deps: { users: UserService; sessions?: SessionService; team: TeamService }) {
  const { team } = deps;
  const preValidation = [requireOwner(deps.users, deps.sessions), csrfForCookieAuth];
  const config = { limitAuthFailures: true };
  const doc = (summary: string, extra: Record<string, unknown> = {}) => ({ tags: ['members'], summary, security: ownerSecurity, ...extra });

  app.get(
    '/api/accounts',
    { preValidation, config, schema: doc('The accounts you belong to, with your role in each; `current` is the one this request works in') },
    async (request) => ({
      current: request.account!.id,
      accounts: (await team.accountsOf(request.owner!.id)).map((m) => ({ id: m.account_id, name: m.account_name, role: m.role, notify: m.notify })),
    }),
  );

  app.get(
    '/api/members',
    { preValidation, config, schema: doc("The account's members and open invitations (owners and managers)", { response: { 401: errorSchema, 403: errorSchema } }) },
    async (request) => {
      const { members, invitations } = await team.members(request.account!.id);
      return {
        members: members.map((m) => ({ user_id: m.user_id, email: m.email, name: m.name, role: m.role, notify: m.notify, joined_at: m.created_at.toISOString() })),
        invitations: invitations.map(invitationToJson),
      };
    },
  );

  app.post<{ Body: { email?: string; role?: string } }>(
    '/api/members',
    {
      preValidation,
      config,
      schema: doc('Invite someone: mails a single-use link that lasts 7 days (owners and managers; only owners invite owners and managers)', {
        body: fields({ email: text({ maxLength: 320 }), role: ROLE }, ['email']),
        response: { 201: { type: 'object', properties: { invitation: invitationSchema }, required: ['invitation'] }, ...errors },
      }),
    },
    async (request, reply) => {
      const invitation = await team.invite(actorOf(request), request.body);
      reply.code(201);
      return { invitation: invitationToJson(invitation) };
    },
  );

  app.put<{ Params: { id: string }; Body: { role?: string } }>(
    '/api/members/:id',
    {
      preValidation,
      config,
      schema: doc("Change a member's role (the last owner cannot be demoted)", { params: idParams, body: fields({ role: ROLE }, ['role']), response: { 200: successAnswer, ...errors } }),
    },
    async (request) => {
      await team.changeRole(actorOf(request), request.params.id, request.body.role);
      return { success: true, message: 'Role changed' };
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/api/members/:id',
    {
      preValidation,
      config,
      schema: doc('Remove a member: their sessions in this account end and the API keys they made here stop working (the last owner cannot leave)', {
        params: idParams,
        response: { 200: successAnswer, ...errors },
      }),
    },
    async (request) => {
      const ended = await team.remove(actorOf(request), request.params.id);
      return { success: true, message: `Member removed; ${ended.keys} API key(s) revoked` };
    },
  );

  app.put<{ Body: { notify: boolean } }>(
    '/api/me/notify',
    {
      preValidation,
      config,
      schema: doc("Whether the account's alert mail goes to you (default on for owners)", {
        body: { type: 'object', properties: { notify: { type: 'boolean' } }, required: ['notify'] },
        response: { 200: successAnswer, 400: errorSchema, 401: errorSchema },
      }),
    },
    async (request) => {
      await team.setNotify(actorOf(request), request.body.notify);
      return { success: true, message: request.body.notify ? "You get this account's alert mail" : "You no longer get this account's alert mail" };
    },
  );

  app.post<{ Params: { id: string } }>(
    '/api/invitations/:id/resend',
    { preValidation, config, schema: doc('Send an invitation again, good for another 7 days (once an hour)', { params: idParams, response: { 200: { type: 'object', properties: { invitation: invitationSchema } }, ...errors } }) },
    async (request) => ({ invitation: invitationToJson(await team.resend(actorOf(request), request.params.id)) }),
  );

  app.delete<{ Params: { id: string } }>(
    '/api/invitations/:id',
    { preValidation, config, schema: doc('Cancel an invitation: its link stops working', { params: idParams, response: { 200: successAnswer, ...errors } }) },
    async (request) => {
      await team.cancelInvitation(actorOf(request), request.params.id);
      return { success: true, message: 'Invitation cancelled' };
    },
  );

  app.put<{ Body: { name: string } }>(
    '/api/accounts/current',
    {
      preValidation,
      config,
      schema: doc("Rename the account (owners and managers)", { body: fields({ name: text({ maxLength: 200 }) }, ['name']), response: { 200: successAnswer, ...errors } }),
    },
    async (request) => {
      await team.rename(actorOf(request), request.body.name);
      return { success: true, message: 'Account renamed' };
    },
  );

  app.delete<{ Body: { confirm?: string } | undefined }>(
    '/api/accounts/current',
    {
      preValidation,
      config,
      schema: doc("Delete the account with all its bots, channels, schedules, keys and log (owners only); `confirm` must be the account's name", {
        body: { type: ['object', 'null'], properties: { confirm: text({ maxLength: 200 }) } },
        response: { 200: successAnswer, ...errors },
      }),
    },
    async (request) => {
      await team.deleteAccount(actorOf(request), request.body?.confirm);
      return { success: true, message: 'Account deleted' };
    },
  );

  app.post<{ Body: { confirm?: string } | undefined }>(
    '/api/accounts/current/leave',
    {
      preValidation,
      config,
      schema: doc("Leave the account you work in: your sessions there end and the keys you made there are revoked; `confirm` must be the account's name (the last owner cannot leave)", {
        body: { type: ['object', 'null'], properties: { confirm: text({ maxLength: 200 }) } },
        response: { 200: successAnswer, ...errors },
      }),
    },
    async (request) => {
      await team.leave(actorOf(request), request.body?.confirm);
      return { success: true, message: 'You left the account' };
    },
  );

  app.get<{ Querystring: { before?: string; limit?: string } }>(
    '/api/audit',
    {
      preValidation,
      config,
      schema: doc('Who did what in this account over the last 90 days, newest first (owners and managers); page with `before` = the previous answer\'s `next`', {
        tags: ['audit'],
        querystring: fields({ before: text({ maxLength: 20 }), limit: text({ maxLength: 5 }) }),
        response: { 400: errorSchema, 401: errorSchema, 403: errorSchema },
      }),
    },
    async (request) => {
      const page = await team.auditPage(request.account!.id, request.query);
      return {
        entries: page.entries.map((e) => ({
          id: e.id,
          at: e.at.toISOString(),
          actor: e.actor_email,
          actor_user_id: e.actor_user_id,
          via: e.via,
          action: e.action,
          target: e.target,
          details: e.details,
        })),
        next: page.next,
      };
    },
  );
}
