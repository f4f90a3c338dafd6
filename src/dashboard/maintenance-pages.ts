// The owner's maintenance pages (docs/alerts.md "Maintenance windows"): the maintenance page with
// the weekly windows (list, add, delete) and a window for all the owner's bots, and the bot page's
// forms that open and end one bot's window. Session and CSRF token in the form; each change
// redirects back to its page. Registered in the dashboard's scope (its body limit and UTF-8 form
// parser); the JSON API and the site's token endpoints are src/maintenance/maintenance-routes.ts.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { SessionService } from '../accounts/session-service.ts';
import { ValidationError } from '../errors.ts';
import { fields, form, text } from '../http/text-schemas.ts';
import type { MaintenanceService } from '../maintenance/maintenance-service.ts';
import { requireViewer, type PageRenderer } from './session-hooks.ts';

export interface MaintenancePageDeps {
  maintenance: MaintenanceService;
  sessions: SessionService;
  render: PageRenderer;
}

type IdParams = { Params: { id: string } };
const WEEKDAY_OPTIONS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'].map((label, index) => ({ value: index + 1, label }));

export async function maintenancePages(app: FastifyInstance, { maintenance, sessions, render }: MaintenancePageDeps) {
  const viewer = requireViewer(sessions);
  const csrf = app.csrfProtection;
  app.post<IdParams & { Body: Record<string, string | undefined> }>(
    '/bots/:id/maintenance',
    { schema: { hide: true, body: form({ minutes: text({ maxLength: 10 }), reason: text({ maxLength: 1000 }) }) }, preHandler: [viewer, csrf] },
    async (request, reply) => {
      await maintenance.openForBot(request.account!.id, request.params.id, { minutes: request.body?.minutes, reason: request.body?.reason });
      return reply.redirect(`/bots/${request.params.id}`, 303);
    },
  );

  // The maintenance page: weekly windows (list, add, delete) and a window for all the owner's bots.
  type Form = { Body: Record<string, string | undefined> };
  const maintenancePage = async (request: FastifyRequest, reply: FastifyReply, extra: Record<string, unknown> = {}) => {
    const ownerId = request.account!.id;
    const schedules = await maintenance.schedules(ownerId);
    const bots = await maintenance.botChoices(ownerId);
    const names = new Map(bots.map((bot) => [bot.id, bot.name]));
    return render.page(request, reply, 'maintenance', {
      title: 'Maintenance',
      schedules: schedules.map((row) => ({ ...row, botName: row.bot_id ? (names.get(row.bot_id) ?? '?') : null })),
      bots,
      weekdays: WEEKDAY_OPTIONS,
      timezone: request.viewer!.timezone,
      ...extra,
    });
  };
  /** Runs a change from a form; a refused value shows the page again with the message (400). */
  const fromForm = async (request: FastifyRequest, reply: FastifyReply, change: () => Promise<unknown>, done: string) => {
    try {
      await change();
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      reply.code(400);
      return maintenancePage(request, reply, { error: error.message });
    }
    return reply.redirect(`/maintenance?done=${done}`, 303);
  };

  app.get('/maintenance', { schema: { hide: true, querystring: fields({ done: text({ maxLength: 20 }) }) }, preHandler: viewer }, async (request, reply) =>
    maintenancePage(request, reply, { done: (request.query as { done?: string }).done ?? null }),
  );
  app.post<Form>(
    '/maintenance/window',
    { schema: { hide: true, body: form({ minutes: text({ maxLength: 10 }), reason: text({ maxLength: 1000 }) }) }, preHandler: [viewer, csrf] },
    async (request, reply) =>
      fromForm(request, reply, () => maintenance.openForOwner(request.account!.id, { minutes: request.body?.minutes, reason: request.body?.reason }), 'window'),
  );
  app.post<Form>(
    '/maintenance/schedules',
    {
      schema: {
        hide: true,
        body: form({ weekday: text({ maxLength: 2 }), start: text({ maxLength: 5 }), minutes: text({ maxLength: 10 }), bot_id: text({ maxLength: 40 }), reason: text({ maxLength: 1000 }) }),
      },
      preHandler: [viewer, csrf],
    },
    async (request, reply) => {
      const body = request.body ?? {};
      return fromForm(request, reply, () => maintenance.addSchedule(request.account!.id, { weekday: body.weekday, start: body.start, minutes: body.minutes, bot_id: body.bot_id, reason: body.reason }), 'added');
    },
  );
  app.post<IdParams>('/maintenance/schedules/:id/delete', { schema: { hide: true, body: form() }, preHandler: [viewer, csrf] }, async (request, reply) => {
    await maintenance.removeSchedule(request.account!.id, request.params.id);
    return reply.redirect('/maintenance?done=deleted', 303);
  });

  app.post('/maintenance/end', { schema: { hide: true, body: form() }, preHandler: [viewer, csrf] }, async (request, reply) => {
    const { botIds } = await maintenance.endForOwner(request.account!.id, {});
    return reply.redirect(`/maintenance?done=${botIds.length > 0 ? 'ended' : 'none'}`, 303);
  });

  app.post<IdParams>('/bots/:id/maintenance/end', { schema: { hide: true, body: form() }, preHandler: [viewer, csrf] }, async (request, reply) => {
    const { ended } = await maintenance.endForBot(request.account!.id, request.params.id);
    return reply.redirect(`/bots/${request.params.id}?maintenance=${ended ? 'ended' : 'none'}`, 303);
  });
}
