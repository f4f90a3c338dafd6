// The owner's bot pages and their htmx fragments. Every route is behind the session
// (requireViewer) and every lookup goes through BotService by owner and id, so another owner's bot
// answers exactly like a missing one (404). POSTs check the CSRF token.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { SessionService } from '../accounts/session-service.ts';
import type { BotService, CreatedBot } from '../bots/bot-service.ts';
import type { Config } from '../config.ts';
import { MAX_GRACE_SECONDS } from '../domain/bot-input.ts';
import { ValidationError } from '../errors.ts';
import { fields, form, multilineText, text } from '../http/text-schemas.ts';
import { chartStart, renderHeartbeatChart } from './heartbeat-chart.ts';
import { listQueryString, pageLinks, pageWindow, parseListQuery } from './list-query.ts';
import { requireViewer, type PageRenderer } from './session-hooks.ts';
import { ATTENTION_LABELS, STATUS_OPTIONS, alertMailView, attentionView, botView, eventView } from './view-models.ts';
import { ATTENTION_KINDS, matchesAttention, type AttentionFilter } from '../domain/attention.ts';
import type { ConnectionStatus } from '../domain/connection-status.ts';
import type { AttentionService } from '../attention/attention-service.ts';
import type { MaintainedBot } from '../bots/bot-maintenance.ts';

export const PAGE_SIZE = 20;
/** The list is paged by OFFSET: a bound on how far a link may skip. */
const MAX_PAGE = 100_000;

export const MUTE_OPTIONS = [
  { value: '1h', label: '1 hour', ms: 3_600_000 },
  { value: '8h', label: '8 hours', ms: 8 * 3_600_000 },
  { value: '24h', label: '24 hours', ms: 86_400_000 },
  { value: '7d', label: '7 days', ms: 7 * 86_400_000 },
  { value: '30d', label: '30 days', ms: 30 * 86_400_000 },
] as const;

export interface BotPageDeps {
  config: Config;
  bots: BotService;
  sessions: SessionService;
  render: PageRenderer;
  now: () => Date;
  pluginDownloadUrl: string;
  /** Attention items for the "Needs attention" card; no card without it. */
  attention?: AttentionService;
}

type Form = Record<string, string | undefined>;
type IdParams = { Params: { id: string } };

// Every field these routes read is declared: a repeated field or a control character is a 400.
const listQuerySchema = fields({
  status: text({ maxLength: 20 }),
  q: text({ maxLength: 1000 }),
  attention: text({ maxLength: 40 }),
  page: text({ maxLength: 20 }),
  deleted: text({ maxLength: 10 }),
});
const graceField = text({ maxLength: 20 });
const botFormSchema = form({
  name: text({ maxLength: 1000 }),
  description: multilineText({ maxLength: 20_000 }),
  language: text({ maxLength: 100 }),
  model: text({ maxLength: 200 }),
  personality: multilineText({ maxLength: 20_000 }),
  welcome_message: multilineText({ maxLength: 10_000 }),
  is_active: text({ maxLength: 10 }),
  is_trained: text({ maxLength: 10 }),
  stale_grace_minutes: graceField,
});
const schemas = {
  list: { querystring: listQuerySchema },
  botForm: { body: botFormSchema },
  mute: { body: form({ duration: text({ maxLength: 10 }) }) },
  grace: { body: form({ stale_grace_minutes: graceField }) },
  action: { body: form() },
};

/** The dashboard's edit form, as the API's snake_case fields (checkboxes: absent = off). */
function botFieldsFromForm(body: Form, { checkboxes }: { checkboxes: boolean }): Record<string, unknown> {
  const fields: Record<string, unknown> = {
    name: body.name ?? '',
    description: body.description ?? '',
    language: body.language?.trim() || 'en',
    model: body.model?.trim() || 'gpt-4o-mini',
    personality: body.personality ?? '',
    welcome_message: body.welcome_message ?? '',
  };
  if (checkboxes) {
    fields.is_active = body.is_active === 'on';
    fields.is_trained = body.is_trained === 'on';
  }
  if (body.stale_grace_minutes !== undefined) fields.stale_grace_seconds = graceSeconds(body.stale_grace_minutes);
  return fields;
}

function graceSeconds(minutes: string | undefined): number {
  const value = Number((minutes ?? '').trim() || '0');
  if (!Number.isInteger(value) || value < 0 || value * 60 > MAX_GRACE_SECONDS) {
    throw new ValidationError(`grace must be a whole number of minutes from 0 to ${MAX_GRACE_SECONDS / 60}`);
  }
  return value * 60;
}

export async function botPages(app: FastifyInstance, deps: BotPageDeps) {
  const { bots, sessions, render, now, pluginDownloadUrl } = deps;
  /** The bot as its page shows it, with "checking" while the sweep waits on a nudge it sent (as stored). */
  const pageBotView = async (bot: MaintainedBot, at: Date, timeZone: string) => ({ ...botView(bot, at, timeZone), checking: await bots.beingChecked(bot.id) });
  const viewer = requireViewer(sessions);
  const csrf = app.csrfProtection;
  const zone = (request: FastifyRequest) => request.viewer!.timezone;

  /**
   * One page of the bots with an attention item (any, or of one kind). Attention is judged in
   * TypeScript from each bot's facts, so the owner's matching bots are read whole and paged here:
   * an account holds at most MAX_BOTS_PER_OWNER bots.
   */
  const needingAttention = async (ownerId: string, filter: { status?: ConnectionStatus; search?: string }, wanted: AttentionFilter, window: { limit: number; offset: number }) => {
    const { bots: all } = await bots.listBotsPage(ownerId, { ...filter, limit: Number.MAX_SAFE_INTEGER, offset: 0 });
    const matching = all.filter((bot) => matchesAttention(deps.attention?.itemsFor(bot) ?? [], wanted));
    return { bots: matching.slice(window.offset, window.offset + window.limit), total: matching.length };
  };

  const listData = async (request: FastifyRequest<{ Querystring: Form }>) => {
    const query = parseListQuery(request.query, { maxPage: MAX_PAGE, attention: deps.attention !== undefined });
    const filter = { status: query.status, search: query.q };
    const { bots: rows, total } = query.attention
      ? await needingAttention(request.account!.id, filter, query.attention, pageWindow(query.page, PAGE_SIZE))
      : await bots.listBotsPage(request.account!.id, { ...filter, ...pageWindow(query.page, PAGE_SIZE) });
    const at = now();
    const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
    return {
      bots: rows.map((bot) => botView(bot, at, zone(request))),
      total,
      filtered: Boolean(query.status || query.q || query.attention),
      attentionOptions: [
        { value: 'any', label: 'Any', selected: query.attention === 'any' },
        ...ATTENTION_KINDS.map((kind) => ({ value: kind, label: ATTENTION_LABELS[kind], selected: query.attention === kind })),
      ],
      query,
      listQuery: listQueryString(query),
      statusOptions: STATUS_OPTIONS.map((option) => ({ ...option, selected: option.value === query.status })),
      pagination: { page: query.page, pages, ...pageLinks(query, query.page < pages) },
    };
  };

  app.get<{ Querystring: Form }>('/bots', { schema: schemas.list, preHandler: viewer }, async (request, reply) =>
    render.page(request, reply, 'bots', { ...(await listData(request)), deleted: request.query.deleted === '1' }),
  );
  app.get<{ Querystring: Form }>('/bots/list', { schema: schemas.list, preHandler: viewer }, async (request, reply) =>
    render.fragment(reply, 'bot-list', await listData(request)),
  );

  app.get('/bots/new', { preHandler: viewer }, async (request, reply) =>
    render.page(request, reply, 'bot-new', { form: { language: 'en', model: 'gpt-4o-mini' } }),
  );

  const tokenPage = (request: FastifyRequest, reply: FastifyReply, created: CreatedBot, rotated: boolean) =>
    render.page(request, reply, 'bot-token', {
      bot: botView(created.bot, now(), zone(request)),
      token: created.token,
      rotated,
      pluginDownloadUrl,
    });

  app.post<{ Body: Form }>('/bots', { schema: schemas.botForm, preHandler: [viewer, csrf] }, async (request, reply) => {
    const body = request.body ?? {};
    try {
      const created = await bots.createBot(request.account!.id, botFieldsFromForm(body, { checkboxes: false }));
      reply.code(201);
      return tokenPage(request, reply, created, false);
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      reply.code(400);
      return render.page(request, reply, 'bot-new', { form: body, error: error.message });
    }
  });

  /** The bot with its last 7 days: what the bot page and its activity fragment show. */
  const activityData = async (request: FastifyRequest<IdParams>) => {
    const at = now();
    const { bot, hours, events, mails } = await bots.history(request.account!.id, request.params.id, chartStart(at));
    return {
      bot: await pageBotView(bot, at, zone(request)),
      attention: (deps.attention?.itemsFor(bot) ?? []).map((item) => attentionView(item, at, zone(request))),
      timezone: zone(request),
      chart: renderHeartbeatChart(hours, at, zone(request)),
      heartbeatsTotal: hours.reduce((sum, hour) => sum + hour.count, 0),
      events: events.map((event) => eventView(event, at, zone(request))),
      mails: mails.map((mail) => alertMailView(mail, at, zone(request))),
    };
  };

  const botPage = async (request: FastifyRequest<IdParams>, reply: FastifyReply, extra: Record<string, unknown> = {}) =>
    render.page(request, reply, 'bot', { ...(await activityData(request)), muteOptions: MUTE_OPTIONS, pluginDownloadUrl, ...extra });

  // ?maintenance=ended|none: what "End maintenance now" did (src/dashboard/maintenance-pages.ts).
  app.get<IdParams & { Querystring: { maintenance?: string } }>('/bots/:id', { preHandler: viewer }, async (request, reply) =>
    botPage(request, reply, { maintenanceDone: request.query.maintenance === 'ended' || request.query.maintenance === 'none' ? request.query.maintenance : null }),
  );

  app.get<IdParams>('/bots/:id/activity', { preHandler: viewer }, async (request, reply) =>
    render.fragment(reply, 'bot-activity', await activityData(request)),
  );

  app.get<IdParams>('/bots/:id/status', { preHandler: viewer }, async (request, reply) => {
    const bot = await bots.getBot(request.account!.id, request.params.id);
    return render.fragment(reply, 'bot-status', { bot: await pageBotView(bot, now(), zone(request)), pluginDownloadUrl });
  });

  app.get<IdParams>('/bots/:id/edit', { preHandler: viewer }, async (request, reply) => {
    const bot = botView(await bots.getBot(request.account!.id, request.params.id), now(), zone(request));
    return render.page(request, reply, 'bot-edit', { bot, form: { ...bot, welcome_message: bot.welcomeMessage, stale_grace_minutes: bot.graceMinutes } });
  });

  app.post<IdParams & { Body: Form }>('/bots/:id/edit', { schema: schemas.botForm, preHandler: [viewer, csrf] }, async (request, reply) => {
    const body = request.body ?? {};
    try {
      await bots.updateBot(request.account!.id, request.params.id, botFieldsFromForm(body, { checkboxes: true }));
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      const bot = botView(await bots.getBot(request.account!.id, request.params.id), now(), zone(request));
      reply.code(400);
      return render.page(request, reply, 'bot-edit', {
        bot,
        form: { ...body, isActive: body.is_active === 'on', isTrained: body.is_trained === 'on' },
        error: error.message,
      });
    }
    return reply.redirect(`/bots/${request.params.id}`, 303);
  });

  app.get<IdParams>('/bots/:id/delete', { preHandler: viewer }, async (request, reply) => {
    const bot = botView(await bots.getBot(request.account!.id, request.params.id), now(), zone(request));
    return render.page(request, reply, 'bot-delete', { bot });
  });

  app.post<IdParams>('/bots/:id/delete', { schema: schemas.action, preHandler: [viewer, csrf] }, async (request, reply) => {
    await bots.deleteBot(request.account!.id, request.params.id);
    return reply.redirect('/bots?deleted=1', 303);
  });

  app.post<IdParams>('/bots/:id/rotate-token', { schema: schemas.action, preHandler: [viewer, csrf] }, async (request, reply) =>
    tokenPage(request, reply, await bots.rotateToken(request.account!.id, request.params.id), true),
  );

  app.post<IdParams & { Body: Form }>('/bots/:id/mute', { schema: schemas.mute, preHandler: [viewer, csrf] }, async (request, reply) => {
    const choice = request.body?.duration;
    const option = MUTE_OPTIONS.find((candidate) => candidate.value === choice);
    if (!option && choice !== 'off') throw new ValidationError('choose how long to mute alerts');
    await bots.muteBot(request.account!.id, request.params.id, option ? new Date(now().getTime() + option.ms) : null);
    return reply.redirect(`/bots/${request.params.id}`, 303);
  });

  app.post<IdParams & { Body: Form }>('/bots/:id/grace', { schema: schemas.grace, preHandler: [viewer, csrf] }, async (request, reply) => {
    try {
      await bots.updateBot(request.account!.id, request.params.id, { stale_grace_seconds: graceSeconds(request.body?.stale_grace_minutes) });
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      reply.code(400);
      return botPage(request, reply, { graceError: error.message });
    }
    return reply.redirect(`/bots/${request.params.id}`, 303);
  });

}
