// The public twins of a client's status page (docs/clients.md "Status pages"), read by the secret
// key in their link: the page (works without JavaScript; htmx refreshes its sites every minute),
// its SVG badge and its JSON. Cacheable for a minute, never indexed, no cookies. An unknown or
// revoked key is a 404, the same for all three.
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { PageRenderer } from '../dashboard/session-hooks.ts';
import { NotFoundError } from '../errors.ts';
import { statusBadgeSvg } from './status-badge.ts';
import type { StatusPage, StatusPageService } from './status-page-service.ts';
import { STATUS_PAGE_DAYS } from './status-page-service.ts';
import { statusPagePaths } from './client-service.ts';

const MAX_AGE_SECONDS = 60;
const keyParams = { type: 'object', properties: { key: { type: 'string', maxLength: 100 } }, required: ['key'] } as const;

const OVERALL_WORDS = { up: 'All sites are operational', late: 'Some sites are late: we are checking them', down: 'Some sites are down' } as const;

/** What the templates show: times in the owner's zone, words instead of codes. */
function view(page: StatusPage, key: string) {
  const time = new Intl.DateTimeFormat('en-GB', { timeZone: page.timeZone, dateStyle: 'medium', timeStyle: 'short' });
  const day = new Intl.DateTimeFormat('en-GB', { timeZone: page.timeZone, dateStyle: 'medium' });
  return {
    title: `${page.clientName}: status`,
    noindex: true,
    clientName: page.clientName,
    status: page.status,
    overallWords: OVERALL_WORDS[page.status],
    refreshPath: `${statusPagePaths(key).page}/sites`,
    days: STATUS_PAGE_DAYS,
    timeZone: page.timeZone,
    updatedAt: time.format(page.updatedAt),
    maintenance: page.sites.filter((site) => site.maintenanceUntil).map((site) => ({ name: site.name, until: time.format(site.maintenanceUntil!) })),
    incidents: page.sites.filter((site) => site.down).map((site) => ({ name: site.name, since: site.down!.since && time.format(site.down!.since), diagnosis: site.down!.diagnosis })),
    sites: page.sites.map((site) => ({
      name: site.name,
      url: site.url,
      state: site.state,
      words: site.words,
      uptime: site.uptimePercent === null ? '—' : `${site.uptimePercent} %`,
      bars: site.days.map((d) => ({ bar: d.bar, title: `${day.format(d.start)}: ${d.uptimePercent === null ? 'no data' : `${d.uptimePercent} % up`}` })),
    })),
  };
}

export async function statusPageRoutes(app: FastifyInstance, { pages, render }: { pages: StatusPageService; render: PageRenderer }) {
  const read = async (key: string, reply: FastifyReply) => {
    const page = await pages.read(key);
    if (!page) throw new NotFoundError('No such status page');
    reply.header('X-Robots-Tag', 'noindex').header('Cache-Control', `public, max-age=${MAX_AGE_SECONDS}`);
    return page;
  };
  const hidden = { schema: { hide: true, params: keyParams } };

  app.get<{ Params: { key: string } }>('/status/:key', hidden, async (request, reply) => {
    const page = await read(request.params.key, reply);
    return render.publicPage(reply, 'status', view(page, request.params.key), MAX_AGE_SECONDS);
  });

  app.get<{ Params: { key: string } }>('/status/:key/sites', hidden, async (request, reply) => {
    const page = await read(request.params.key, reply);
    return reply.view('partials/status-sites.hbs', view(page, request.params.key));
  });

  app.get<{ Params: { key: string } }>('/status/:key/badge.svg', hidden, async (request, reply) => {
    const page = await read(request.params.key, reply);
    return reply.type('image/svg+xml; charset=utf-8').send(statusBadgeSvg(page.status));
  });

  app.get<{ Params: { key: string } }>('/status/:key/status.json', hidden, async (request, reply) => {
    const page = await read(request.params.key, reply);
    return {
      client: page.clientName,
      status: page.status,
      updated_at: page.updatedAt.toISOString(),
      sites: page.sites.map((site) => ({
        name: site.name,
        url: site.url,
        status: site.state,
        words: site.words,
        maintenance_until: site.maintenanceUntil?.toISOString() ?? null,
        uptime_percent_90d: site.uptimePercent,
      })),
    };
  });
}
