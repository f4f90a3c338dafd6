// The one role check (docs/dashboard.md "Accounts, members and roles"): after authentication put
// the caller's account and role on the request, the route's declared action (route config
// `action`, filled from src/http/route-actions.ts) decides with mayDo (src/domain/roles.ts).
// Another account's things stay a 404: services look them up by the account's id.
import type { FastifyRequest } from 'fastify';
import { ACTIONS, isAction, mayDo, type AccountContext, type Action } from '../domain/roles.ts';
import { ForbiddenError, UnauthorizedError } from '../errors.ts';
import type { Actor } from '../domain/roles.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** What the route does, for the role check. */
    action?: Action;
  }
  interface FastifyRequest {
    /** The account the request works in, and the caller's role there (a key's role for a key). */
    account?: AccountContext;
  }
}

/** Throws 403 unless the caller's role may do the route's action; a route without one is refused to all. */
export function authorize(request: FastifyRequest): void {
  const account = request.account;
  if (!account) throw new UnauthorizedError();
  const action = request.routeOptions.config.action;
  if (!isAction(action)) throw new ForbiddenError('This route declares no action, so no role may use it');
  if (!mayDo(account.role, action)) {
    throw new ForbiddenError(`Your role in this account (${account.role}) may not do this: it needs ${ACTIONS[action]} or above`);
  }
}

/** Who acts in this request, for the team service and the audit log: the person, their account and role, and how they came. */
export function actorOf(request: FastifyRequest): Actor {
  return { user: (request.owner ?? request.viewer)!, account: request.account!, via: request.authenticatedBy === 'api_key' ? 'api_key' : 'session' };
}
