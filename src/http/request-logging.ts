// Request log lines for a service whose busiest route is hit by every site every five minutes.
// Fastify logs two info lines per request ("incoming request", "request completed"); on the
// heartbeat route that was the largest cost after the socket (bench/heartbeat-ingest.ts), and a
// million "200 OK" lines an hour tell an operator nothing the metrics do not. A route that sets
// `config.logFailuresOnly` logs one line per answer of 4xx/5xx, carrying the request itself, and
// nothing for a success; every other route logs as Fastify does.
import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Log only this route's failed answers (one line each), not its successes. */
    logFailuresOnly?: boolean;
  }
}

const logsFailuresOnly = (request: FastifyRequest) => request.routeOptions.config.logFailuresOnly === true;

export class RequestLogController extends LogController {
  override incomingRequest(request: FastifyRequest, reply: FastifyReply): void {
    if (!logsFailuresOnly(request)) super.incomingRequest(request, reply);
  }

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (!logsFailuresOnly(request) || error) return super.requestCompleted(error, request, reply);
    if (reply.statusCode < 400 || this.isLogDisabled(request)) return;
    // The only line of this request, so it names what was asked as well as the answer.
    reply.log.info({ req: request, res: reply, responseTime: reply.elapsedTime }, 'request completed');
  }
}
