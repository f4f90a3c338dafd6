// Every route the app serves, as Fastify registered it, for checks that must cover all of them
// (tests/http/route-table.test.ts asserts authentication, owner isolation and CSRF per route, so a
// new route cannot skip them unnoticed). Registered first in buildApp, so it sees every route.
import type { FastifyInstance } from 'fastify';

export interface RouteEntry {
  method: string;
  url: string;
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
    for (const method of [route.method].flat()) routes.push({ method, url: route.url });
  });
}
