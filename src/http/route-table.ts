// Every route the app serves, as Fastify registered it, for checks that must cover all of them
// (tests/http/route-table.test.ts asserts authentication, owner isolation and CSRF per route, so a
// new route cannot skip them unnoticed). Registered first in buildApp, so it sees every route.
// It also gives each route its action for the role check (src/http/route-actions.ts).
import type { FastifyInstance } from 'fastify';
import type { Action } from '../domain/roles.ts';
import { routeAction } from './route-actions.ts';

export interface RouteEntry {
  method: string;
  url: string;
  /** What the route does, for the role check (undefined: public, or forgotten). */
  action: Action | undefined;
}

declare module 'fastify' {
  interface FastifyInstance {
    routeTable: RouteEntry[];
  }
}

export function recordRouteTable(app: FastifyInstance) {
  const routes: RouteEntry[] = [];
  app.decorate('routeTable', routes);
  app.addHook('onRoute', (route) => {
    const methods = [route.method].flat();
    const action = route.config?.action ?? routeAction(methods[0]!, route.url);
    if (action) route.config = { ...route.config, action };
    for (const method of methods) routes.push({ method, url: route.url, action });
  });
}
