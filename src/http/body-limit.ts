// One body limit for every route of a plugin, set on the routes themselves (not on a content-type
// parser): the route's bodyLimit is what Fastify enforces and what the 413 message quotes, so the
// two can never disagree (once /alerts/* quoted 1 MiB while refusing 4 KiB).
import type { FastifyInstance } from 'fastify';

export function limitRouteBodies(app: FastifyInstance, bytes: number) {
  app.addHook('onRoute', (route) => {
    route.bodyLimit ??= bytes;
  });
}
