// The admin fleet page: counts by status, plugin and WordPress version distributions, how many
// sites run an outdated plugin, and every connection with filters (one page at a time).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { SessionService } from '../accounts/session-service.ts';
import type { Database } from '../db/database.ts';
import { listFleetPage, summarizeFleet } from '../db/fleet.ts';
import { CONNECTION_STATUSES, type ConnectionStatus } from '../domain/connection-status.ts';
import { compareVersions, newestVersion } from '../domain/versions.ts';
import { fields, text } from '../http/text-schemas.ts';
import { requireAdmin, requireViewer, type PageRenderer } from './session-hooks.ts';
import { STATUS_LABELS, STATUS_OPTIONS, botView } from './view-models.ts';

export const FLEET_PAGE_SIZE = 50;
const VERSION = /^[0-9A-Za-z.+-]{1,32}$/;

export interface FleetDeps {
  db: Database;
  sessions: SessionService;
  render: PageRenderer;
  now: () => Date;
  /** The current plugin release; when unknown, the newest version any site reports. */
  latestPluginVersion?: string;
}

type Form = Record<string, string | undefined>;

// Every query parameter is declared: a repeated one or a control character is a 400.
const fleetQuerySchema = {
  querystring: fields({ status: text({ maxLength: 20 }), plugin: text({ maxLength: 100 }), wp: text({ maxLength: 100 }), q: text({ maxLength: 1000 }), page: text({ maxLength: 20 }) }),
};

function parseFleetQuery(query: Form) {
  const status = CONNECTION_STATUSES.includes(query.status as ConnectionStatus) ? (query.status as ConnectionStatus) : undefined;
  const plugin = query.plugin && VERSION.test(query.plugin) ? query.plugin : undefined;
  const wp = query.wp && VERSION.test(query.wp) ? query.wp : undefined;
  const q = query.q?.trim().slice(0, 100) || undefined;
  const page = Math.min(Math.max(1, Number.parseInt(query.page ?? '1', 10) || 1), 10_000);
  return { status, plugin, wp, q, page };
}

function fleetQueryString(query: Partial<ReturnType<typeof parseFleetQuery>>): string {
  const params = new URLSearchParams();
  for (const key of ['status', 'plugin', 'wp', 'q'] as const) if (query[key]) params.set(key, query[key]!);
  if (query.page && query.page > 1) params.set('page', String(query.page));
  return params.toString();
}

export async function fleetRoutes(app: FastifyInstance, deps: FleetDeps) {
  const { db, sessions, render, now } = deps;
  const guard = [requireViewer(sessions), requireAdmin];

  const connections = async (request: FastifyRequest<{ Querystring: Form }>) => {
    const query = parseFleetQuery(request.query);
    const rows = await listFleetPage(db, {
      status: query.status,
      pluginVersion: query.plugin,
      wpVersion: query.wp,
      search: query.q,
      limit: FLEET_PAGE_SIZE + 1,
      offset: (query.page - 1) * FLEET_PAGE_SIZE,
    });
    const at = now();
    const zone = request.viewer!.timezone;
    return {
      query,
      listQuery: fleetQueryString(query),
      statusOptions: STATUS_OPTIONS.map((option) => ({ ...option, selected: option.value === query.status })),
      connections: rows.slice(0, FLEET_PAGE_SIZE).map((row) => ({ ...botView(row, at, zone), ownerEmail: row.owner_email })),
      previous: query.page > 1 ? fleetQueryString({ ...query, page: query.page - 1 }) || 'page=1' : null,
      next: rows.length > FLEET_PAGE_SIZE ? fleetQueryString({ ...query, page: query.page + 1 }) : null,
    };
  };

  app.get<{ Querystring: Form }>('/admin/fleet', { schema: fleetQuerySchema, preHandler: guard }, async (request, reply) => {
    const summary = await summarizeFleet(db);
    const latest = deps.latestPluginVersion ?? newestVersion(summary.pluginVersions.map((entry) => entry.version));
    const outdated = latest
      ? summary.pluginVersions.filter((entry) => compareVersions(entry.version, latest) < 0).reduce((sum, entry) => sum + entry.count, 0)
      : 0;
    const share = (count: number, of: number) => (of ? Math.round((count / of) * 1000) / 10 : 0);
    const reporting = summary.pluginVersions.reduce((sum, entry) => sum + entry.count, 0);
    const wpReporting = summary.wpVersions.reduce((sum, entry) => sum + entry.count, 0);
    return render.page(request, reply, 'fleet', {
      total: summary.total,
      statusCounts: CONNECTION_STATUSES.map((status) => ({ status, ...STATUS_LABELS[status], count: summary.byStatus.get(status) ?? 0 })),
      pluginVersions: summary.pluginVersions.slice(0, 15).map((entry) => ({
        ...entry,
        share: share(entry.count, reporting),
        outdated: latest ? compareVersions(entry.version, latest) < 0 : false,
      })),
      wpVersions: summary.wpVersions.slice(0, 15).map((entry) => ({ ...entry, share: share(entry.count, wpReporting) })),
      latest,
      outdated,
      outdatedShare: share(outdated, reporting),
      ...(await connections(request)),
    });
  });

  app.get<{ Querystring: Form }>('/admin/fleet/connections', { schema: fleetQuerySchema, preHandler: guard }, async (request, reply) =>
    render.fragment(reply, 'fleet-connections', await connections(request)),
  );
}
