// Liveness (the process answers) and readiness (database reachable, migrations applied).
import type { FastifyInstance } from 'fastify';
import type { Database } from '../db/database.ts';
import { pendingMigrations } from '../db/migrate.ts';

export async function healthRoutes(app: FastifyInstance, { db }: { db: Database }) {
  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (request, reply) => {
    try {
      const pending = await pendingMigrations(db);
      if (pending.length) return reply.code(503).send({ status: 'not ready', reason: `pending migrations: ${pending.join(', ')}` });
      return { status: 'ready' };
    } catch (error) {
      request.log.warn({ err: error }, 'readiness check failed');
      reply.header('Retry-After', '5');
      return reply.code(503).send({ status: 'not ready', reason: 'database unreachable' });
    }
  });
}
