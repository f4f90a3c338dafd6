// Liveness (the process answers) and readiness (database reachable, migrations applied).
import type { FastifyInstance } from 'fastify';

const statusBody = (description: string, status: string[]) => ({
  description,
  type: 'object',
  properties: {
    status: { type: 'string', enum: status },
    database: { type: 'string', enum: ['pg', 'pglite'], description: 'The database driver in use' },
    reason: { type: 'string' },
  },
  required: ['status'],
});

const healthzSchema = {
  tags: ['service'],
  summary: 'Liveness: the process answers (never touches the database)',
  response: { 200: statusBody('Alive', ['ok']) },
};

const readyzSchema = {
  tags: ['service'],
  summary: 'Readiness: the database is reachable and every migration is applied',
  response: {
    200: statusBody('Ready to serve', ['ready']),
    503: {
      ...statusBody('Not ready: the reason says whether migrations are pending or the database is unreachable', ['not ready']),
      headers: { 'Retry-After': { type: 'string', description: 'Seconds to wait (when the database is unreachable)' } },
    },
  },
};

export interface HealthDeps {
  /** The migrations not yet applied (throws when the database is unreachable). */
  pendingMigrations: () => Promise<string[]>;
}

export async function healthRoutes(app: FastifyInstance, { pendingMigrations }: HealthDeps) {
  app.get('/healthz', { schema: healthzSchema }, async () => ({ status: 'ok' }));

  app.get('/readyz', { schema: readyzSchema }, async (request, reply) => {
    try {
      const pending = await pendingMigrations();
      if (pending.length) return reply.code(503).send({ status: 'not ready', reason: `pending migrations: ${pending.join(', ')}` });
      return { status: 'ready' };
    } catch (error) {
      request.log.warn({ err: error }, 'readiness check failed');
      reply.header('Retry-After', '5');
      return reply.code(503).send({ status: 'not ready', reason: 'database unreachable' });
    }
  });
}
