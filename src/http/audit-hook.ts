// The audit log's one writer for what routes do (docs/dashboard.md "Audit log"): after a request
// that changed something in an account succeeded, one entry names who (the person,
// and whether by session or API key), the route's action (src/http/route-actions.ts), the thing
// (its :id) and the route. Member changes are written by the team service itself, inside their
// transaction, with their details. A failed write is logged and never changes the answer.
import type { FastifyInstance } from 'fastify';
import type { Actor } from '../domain/roles.ts';
import { actorOf } from './authorize.ts';

/** What the hook asks of the team service (src/accounts/team-service.ts), so http does not import it. */
export interface AuditRecorder {
  record(actor: Actor, action: string, target: string | null, details: Record<string, unknown> | null): Promise<unknown>;
}

/** Actions written here; members:* are written by the team service, reads and `self` are not changes of the account. */
const AUDITED = /^(bots|maintenance|channels|keys|clients):/;

export function registerAuditHook(app: FastifyInstance, team: AuditRecorder) {
  // Written before the answer leaves (onSend, not onResponse): a caller that got its answer finds
  // the entry there, and nothing of the request still runs when its next request begins.
  app.addHook('onSend', async (request, reply, payload) => {
    const action = request.routeOptions.config?.action;
    if (!action || !AUDITED.test(action) || !request.account || reply.statusCode >= 400) return payload;
    if (request.method === 'GET' || request.method === 'HEAD') return payload;
    if (!request.owner && !request.viewer) return payload;
    const id = (request.params as { id?: unknown } | undefined)?.id;
    try {
      await team.record(
        actorOf(request),
        action,
        typeof id === 'string' ? id : null,
        { route: `${request.method} ${request.routeOptions.url}` },
      );
    } catch (error) {
      request.log.warn({ err: error, action }, 'audit entry not written');
    }
    return payload;
  });
}
