// GET /docs/openapi.json: the OpenAPI document @fastify/swagger builds from the route schemas.
import type { FastifyInstance } from 'fastify';

export async function docsRoutes(app: FastifyInstance) {
  app.get('/docs/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
