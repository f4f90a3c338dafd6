// The admin fleet page: counts by status, plugin and WordPress version distributions, how many
// sites run an outdated plugin, and every connection with filters (one page at a time). The
// numbers come from FleetService; this file only reads the query and renders.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { SessionService } from '../accounts/session-service.ts';
import { CONNECTION_STATUSES } from '../domain/connection-status.ts';
import { fields, text } from '../http/text-schemas.ts';
import type { FleetService } from './fleet-service.ts';
import { ATTENTION_KINDS, type AttentionKind } from '../domain/attention.ts';
import { ATTENTION_KIND_LABELS } from '../domain/attention-digest.ts';
import type { LabelCount, SiteHealthSummary } from '../domain/site-health-summary.ts';
import { listQueryString, pageLinks, pageWindow, parseListQuery } from './list-query.ts';
import { requireAdmin, requireViewer, type PageRenderer } from './session-hooks.ts';
import { STATUS_LABELS, STATUS_OPTIONS, botView } from './view-models.ts';

export const FLEET_PAGE_SIZE = 50;
/** The fleet is paged by OFFSET: a bound on how far a link may skip. */
const FLEET_MAX_PAGE = 10_000;
/** Version rows shown on the page; the list of connections filters by any version. */
const VERSIONS_SHOWN = 15;

export interface FleetDeps {
  fleet: FleetService;
  sessions: SessionService;
  render: PageRenderer;
  now: () => Date;
}

type Form = Record<string, string | undefined>;

/** The site-health cards: each list with its share of the connected sites. */
function siteHealthView(summary: SiteHealthSummary | undefined) {
  if (!summary) return null;
  const rows = (list: LabelCount[]) => list.map((entry) => ({ ...entry, share: summary.sites ? Math.round((entry.count / summary.sites) * 1000) / 10 : 0 }));
  const attention = rows(ATTENTION_KINDS.map((kind) => ({ value: kind, count: summary.attention[kind] }))).map((row) => ({
    ...row,
    label: ATTENTION_KIND_LABELS[row.value as AttentionKind],
  }));
  return {
    sites: summary.sites,
    needingAttention: summary.needingAttention,
    tables: [
      { title: 'Needs attention', id: 'attention', rows: attention },
      { title: 'Plugin', id: 'plugin', rows: rows(summary.pluginBranches) },
      { title: 'WordPress', id: 'wordpress', rows: rows(summary.wpBranches) },
      { title: 'PHP', id: 'php', rows: rows(summary.phpBranches) },
      { title: 'WP-Cron', id: 'cron', rows: rows(summary.cronModes) },
      { title: 'Environment', id: 'environment', rows: rows(summary.environments) },
    ],
  };
}

// Every query parameter is declared: a repeated one or a control character is a 400.
const fleetQuerySchema = {
  querystring: fields({ status: text({ maxLength: 20 }), plugin: text({ maxLength: 100 }), wp: text({ maxLength: 100 }), q: text({ maxLength: 1000 }), page: text({ maxLength: 20 }) }),
};

export async function fleetRoutes(app: FastifyInstance, deps: FleetDeps) {
  const { fleet, sessions, render, now } = deps;
  const guard = [requireViewer(sessions), requireAdmin];

  const connections = async (request: FastifyRequest<{ Querystring: Form }>) => {
    const query = parseListQuery(request.query, { versions: true, maxPage: FLEET_MAX_PAGE });
    const { rows, hasNext } = await fleet.connections({
      status: query.status,
      pluginVersion: query.plugin,
      wpVersion: query.wp,
      search: query.q,
      ...pageWindow(query.page, FLEET_PAGE_SIZE),
    });
    const at = now();
    const zone = request.viewer!.timezone;
    return {
      query,
      listQuery: listQueryString(query),
      statusOptions: STATUS_OPTIONS.map((option) => ({ ...option, selected: option.value === query.status })),
      connections: rows.map((row) => ({ ...botView(row, at, zone), ownerEmail: row.owner_email })),
      ...pageLinks(query, hasNext),
    };
  };

  app.get<{ Querystring: Form }>('/admin/fleet', { schema: fleetQuerySchema, preHandler: guard }, async (request, reply) => {
    const overview = await fleet.overview();
    return render.page(request, reply, 'fleet', {
      total: overview.summary.total,
      statusCounts: CONNECTION_STATUSES.map((status) => ({ status, ...STATUS_LABELS[status], count: overview.summary.connections[status] })),
      pluginVersions: overview.pluginVersions.slice(0, VERSIONS_SHOWN),
      wpVersions: overview.wpVersions.slice(0, VERSIONS_SHOWN),
      latest: overview.latest,
      outdated: overview.outdated,
      outdatedShare: overview.outdatedShare,
      siteHealth: siteHealthView(overview.siteHealth),
      ...(await connections(request)),
    });
  });

  app.get<{ Querystring: Form }>('/admin/fleet/connections', { schema: fleetQuerySchema, preHandler: guard }, async (request, reply) =>
    render.fragment(reply, 'fleet-connections', await connections(request)),
  );
}
