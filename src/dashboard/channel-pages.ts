// The owner's alert channel pages (docs/alerts.md "Channels"): the list with a form to add one, one channel with its
// latest deliveries (failures shown), changes, deletion, "Send a test", whose result htmx swaps
// in beside the button (a plain form post renders the page with it), and an unconfirmed contact's
// "Send the confirmation again" (limits answer 429 with Retry-After and say how long to wait). Every route is behind the
// session; every POST checks the CSRF token; another owner's channel is the same 404 as none.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { SessionService } from '../accounts/session-service.ts';
import type { ChannelService } from '../channels/channel-service.ts';
import type { ChannelDelivery } from '../db/channels.ts';
import { formatExact } from '../domain/time-ago.ts';
import { groupSendsAt } from './view-models.ts';
import { ConflictError, TooManyRequestsError, ValidationError } from '../errors.ts';
import { SEND_LIMITS } from '../domain/channel-sends.ts';
import { fields, form, text } from '../http/text-schemas.ts';
import { requireViewer, type PageRenderer } from './session-hooks.ts';

type Form = Record<string, string | undefined>;
type IdParams = { Params: { id: string } };

const editable = {
  name: text({ maxLength: 200 }),
  target: text({ maxLength: 2000 }),
  escalate_after: text({ maxLength: 20 }),
  enabled: text({ maxLength: 10 }),
  covers: text({ maxLength: 10 }),
};
const schemas = {
  params: fields({ id: text({ maxLength: 100 }) }, ['id']),
  listPage: { querystring: fields({ deleted: text({ maxLength: 10 }) }) },
  create: { body: form({ kind: text({ maxLength: 20 }), ...editable }) },
  update: { body: form(editable) },
  action: { body: form() },
};

/** Refusals a channel page shows in place (with their status) rather than as an error page. */
const shownInPlace = (error: unknown): error is ValidationError | ConflictError | TooManyRequestsError =>
  error instanceof ValidationError || error instanceof ConflictError || error instanceof TooManyRequestsError;

const BOT_FIELD = /^bot_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const KIND_WORDS: Record<string, string> = { email: 'Email', webhook: 'Webhook', slack: 'Slack' };

/** One row of a channel's latest deliveries, as its page lists it. */
function deliveryView(d: ChannelDelivery, zone: string) {
  // A group still gathering sites (ALERT_GROUP_WINDOW) says when it goes out, like the bot page.
  const sendsAt = groupSendsAt(d);
  return {
    ...d,
    status: sendsAt ? `gathering sites, will be sent at ${formatExact(sendsAt, zone)}` : d.status,
    created: formatExact(d.created_at, zone),
    sent: d.sent_at ? formatExact(d.sent_at, zone) : null,
    failed: d.status === 'failed',
  };
}

export async function channelPages(app: FastifyInstance, deps: { channels: ChannelService; sessions: SessionService; render: PageRenderer }) {
  const { channels, render } = deps;
  const viewer = requireViewer(deps.sessions);
  const csrf = app.csrfProtection;

  const view = (channel: Awaited<ReturnType<ChannelService['get']>>) => ({
    ...channel,
    kindWords: KIND_WORDS[channel.kind],
    covers: channel.bots === 'all' ? 'all your bots' : `${channel.bots.length} bot(s)`,
    unverified: channel.verification === 'unverified',
  });

  const listPage = async (request: FastifyRequest, reply: FastifyReply, extra: Record<string, unknown> = {}) =>
    render.page(request, reply, 'channels', { title: 'Alert channels', channels: (await channels.list(request.account!.id)).map(view), ...extra });

  const channelPage = async (request: FastifyRequest<IdParams>, reply: FastifyReply, extra: Record<string, unknown> = {}) => {
    const zone = request.viewer!.timezone;
    const { channel, deliveries, bots, confirmationSentAt } = await channels.detail(request.account!.id, request.params.id);
    const resendAt = confirmationSentAt ? new Date(confirmationSentAt.getTime() + SEND_LIMITS.verification.perChannelMs) : null;
    return render.page(request, reply, 'channel', {
      title: channel.name,
      channel: view(channel),
      confirmationSent: confirmationSentAt ? formatExact(confirmationSentAt, zone) : null,
      resendAfter: resendAt ? formatExact(resendAt, zone) : null,
      coversAll: channel.bots === 'all',
      bots: bots.map((bot) => ({ ...bot, checked: channel.bots === 'all' || channel.bots.includes(bot.id) })),
      deliveries: deliveries.map((d) => deliveryView(d, zone)),
      ...extra,
    });
  };

  /**
   * A refusal the owner can act on (400, 409, 429 with its Retry-After) re-renders the page with its
   * message; anything else goes to the error handler.
   */
  const orError = async (reply: FastifyReply, action: () => Promise<unknown>, onError: (message: string) => unknown) => {
    try {
      return await action();
    } catch (error) {
      if (!shownInPlace(error)) throw error;
      reply.code(error.statusCode);
      if (error instanceof TooManyRequestsError) reply.header('Retry-After', String(error.retryAfterSeconds));
      return onError(error.message);
    }
  };

  app.get<{ Querystring: Form }>('/channels', { schema: schemas.listPage, preHandler: viewer }, async (request, reply) =>
    listPage(request, reply, { deleted: request.query.deleted === '1' }),
  );

  app.post<{ Body: Form }>('/channels', { schema: schemas.create, preHandler: [viewer, csrf] }, async (request, reply) => {
    const body = request.body ?? {};
    return orError(
      reply,
      async () => {
        const created = await channels.create(request.account!.id, { kind: body.kind, name: body.name, target: body.target, escalate_after: body.escalate_after || null });
        reply.code(201);
        // The webhook secret is on this page only.
        return listPage(request, reply, { created: created.channel, newSecret: created.secret, confirmation: created.confirmation });
      },
      (message) => listPage(request, reply, { error: message, form: body }),
    );
  });

  app.get<IdParams>('/channels/:id', { schema: { params: schemas.params }, preHandler: viewer }, async (request, reply) => channelPage(request, reply));

  app.post<IdParams & { Body: Form }>('/channels/:id', { schema: { params: schemas.params, ...schemas.update }, preHandler: [viewer, csrf] }, async (request, reply) => {
    const body = request.body ?? {};
    const changes: Record<string, unknown> = { name: body.name, escalate_after: body.escalate_after || null, enabled: body.enabled === 'on' };
    if (body.target) changes.target = body.target;
    // "some": one checkbox per bot, named bot_<id> (a name per bot, since a form field may be given once).
    if (body.covers === 'all') changes.bots = 'all';
    if (body.covers === 'some') changes.bots = Object.keys(body).filter((key) => BOT_FIELD.test(key) && body[key] === 'on').map((key) => key.slice(4));
    return orError(
      reply,
      async () => {
        const updated = await channels.update(request.account!.id, request.params.id, changes);
        return channelPage(request, reply, { saved: true, confirmation: updated.confirmation });
      },
      (message) => channelPage(request, reply, { error: message }),
    );
  });

  app.post<IdParams>('/channels/:id/delete', { schema: { params: schemas.params, ...schemas.action }, preHandler: [viewer, csrf] }, async (request, reply) =>
    orError(
      reply,
      async () => {
        await channels.remove(request.account!.id, request.params.id);
        return reply.redirect('/channels?deleted=1', 303);
      },
      (message) => channelPage(request, reply, { error: message }),
    ),
  );

  app.post<IdParams>('/channels/:id/verification', { schema: { params: schemas.params, ...schemas.action }, preHandler: [viewer, csrf] }, async (request, reply) =>
    orError(
      reply,
      async () => {
        const { message } = await channels.resendConfirmation(request.account!.id, request.params.id);
        reply.code(202);
        return channelPage(request, reply, { resent: message });
      },
      (message) => channelPage(request, reply, { error: message }),
    ),
  );

  app.post<IdParams>('/channels/:id/test', { schema: { params: schemas.params, ...schemas.action }, preHandler: [viewer, csrf] }, async (request, reply) => {
    const show = (testResult: Record<string, unknown>) =>
      request.headers['hx-request'] ? render.fragment(reply, 'channel-test-result', testResult) : channelPage(request, reply, { testResult });
    return orError(
      reply,
      async () => {
        const result = await channels.test(request.account!.id, request.params.id);
        return show({ ...result, ok: result.result === 'sent' });
      },
      // Not sent (unconfirmed address, or a limit): said beside the button, with the refusal's status.
      (message) => show({ result: 'refused', message, ok: false }),
    );
  });
}
