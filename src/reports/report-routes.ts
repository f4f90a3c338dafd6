// GET /api/reports/uptime: an owner's monthly uptime report (docs/reports.md), for all their sites
// one client's (`client_id`) or one (`bot_id`), as JSON, CSV or HTML. Same authentication as the bots API.
import type { FastifyInstance } from 'fastify';
import type { SessionService } from '../accounts/session-service.ts';
import type { UserService } from '../accounts/user-service.ts';
import { requireOwner } from '../http/authenticate.ts';
import { errorSchema, ownerErrors, ownerSecurity } from '../http/schemas.ts';
import { text } from '../http/text-schemas.ts';
import { formatReport, REPORT_FORMATS, reportJson, type ReportFormat } from './report-formats.ts';
import type { UptimeReports } from './uptime-reports.ts';

const CONTENT_TYPES: Record<ReportFormat, string> = { json: 'application/json', csv: 'text/csv; charset=utf-8', html: 'text/html; charset=utf-8' };

export async function reportRoutes(app: FastifyInstance, deps: { reports: UptimeReports; users: UserService; sessions?: SessionService }) {
  app.get<{ Querystring: { month: string; bot_id?: string; client_id?: string; format: ReportFormat } }>(
    '/api/reports/uptime',
    {
      preValidation: [requireOwner(deps.users, deps.sessions)],
      config: { limitAuthFailures: true },
      schema: {
        tags: ['reports'],
        summary: "A calendar month's uptime of your sites (or one), in your time zone, maintenance and our own outages left out",
        security: ownerSecurity,
        querystring: {
          type: 'object',
          properties: {
            month: text({ maxLength: 7, description: 'The month, such as 2026-11' }),
            bot_id: text({ maxLength: 100, description: 'Only this site' }),
            client_id: text({ maxLength: 100, description: "Only this client's sites" }),
            format: { type: 'string', enum: [...REPORT_FORMATS], default: 'json' },
          },
          required: ['month'],
        },
        response: { 400: errorSchema, ...ownerErrors },
      },
    },
    async (request, reply) => {
      const { month, bot_id: botId, client_id: clientId, format } = request.query;
      const report = await deps.reports.forOwner(request.account!.id, month, { botId, clientId });
      reply.header('Cache-Control', 'private, no-store');
      if (format === 'json') return reportJson(report);
      if (format === 'csv') reply.header('Content-Disposition', `attachment; filename="uptime-${report.month}.csv"`);
      return reply.type(CONTENT_TYPES[format]).send(formatReport(report, format));
    },
  );
}
