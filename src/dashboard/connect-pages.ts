// GET/POST /connect: the owner's side of one-click connect (docs/contract.md "Connect"). The
// session and CSRF token are the dashboard's: without a session the browser logs in (or signs up)
// and comes back here. Approving answers 303 to the site's return_url with code and state.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { SessionService } from '../accounts/session-service.ts';
import { fields, form, text } from '../http/text-schemas.ts';
import { requireViewer, type PageRenderer } from './session-hooks.ts';
import { NEW_BOT, type ConnectService } from '../connect/connect-service.ts';
import { STATUS_LABELS } from './view-models.ts';
import { effectiveStatus } from '../domain/connection-status.ts';
import { connectReturn } from '../domain/connect.ts';

export interface ConnectPageDeps {
  connect: ConnectService;
  sessions: SessionService;
  render: PageRenderer;
}

type Form = Record<string, string | undefined>;

const request = {
  site_url: text({ maxLength: 2048 }),
  return_url: text({ maxLength: 2048 }),
  state: text({ maxLength: 128 }),
};
const schemas = {
  page: { querystring: fields(request) },
  approve: { body: form({ ...request, bot_id: text({ maxLength: 64 }) }) },
};

/**
 * The page's CSP lets its form lead to the site: browsers apply `form-action` to the redirect that
 * follows the POST, and helmet's default allows only this origin.
 */
function allowFormActionTo(reply: FastifyReply, origin: string) {
  const policy = reply.raw.getHeader('content-security-policy');
  if (typeof policy !== 'string') return;
  reply.header('content-security-policy', policy.replace(/form-action 'self'/, `form-action 'self' ${origin}`));
}

export async function connectPages(app: FastifyInstance, { connect, sessions, render }: ConnectPageDeps) {
  const viewer = requireViewer(sessions);

  app.get<{ Querystring: Form }>('/connect', { schema: schemas.page, preHandler: viewer }, async (request, reply) => {
    // Reached through htmx (the log-in form, boosted, followed its redirect here): a whole page
    // load instead, so the browser applies this page's own CSP (allowFormActionTo) to its form.
    if (request.headers['hx-request']) return reply.header('HX-Redirect', request.url).code(204).send();
    const { request: site, bots, newBotName } = await connect.approvalFor(request.account!.id, request.query);
    allowFormActionTo(reply, new URL(site.returnUrl).origin);
    return render.page(request, reply, 'connect', {
      title: 'Connect a site',
      site,
      newBotName,
      cancelUrl: connectReturn(site.returnUrl, { error: 'access_denied', state: site.state }),
      // The bot this site reported to before is preselected: reconnecting it keeps its history.
      bots: bots.map((bot) => {
        const status = effectiveStatus(bot);
        return { id: bot.id, name: bot.name, siteUrl: bot.wordpress_site_url, badge: STATUS_LABELS[status], status, checked: bot.wordpress_site_url === site.siteUrl };
      }),
      newBot: NEW_BOT,
      newChecked: !bots.some((bot) => bot.wordpress_site_url === site.siteUrl),
    });
  });

  app.post<{ Body: Form }>('/connect', { schema: schemas.approve, preHandler: [viewer, app.csrfProtection] }, async (request: FastifyRequest<{ Body: Form }>, reply) => {
    const { redirect } = await connect.approve(request.account!.id, request.body ?? {});
    return reply.redirect(redirect, 303);
  });
}
