// Request log lines for a service whose busiest route is hit by every site every five minutes.
// Fastify logs two info lines per request ("incoming request", "request completed"); on the
// heartbeat route that was the largest cost after the socket (bench/heartbeat-ingest.ts), and a
// million "200 OK" lines an hour tell an operator nothing the metrics do not. A route that sets
// `config.logFailuresOnly` logs one line per answer of 4xx/5xx, carrying the request itself, and
// nothing for a success; every other route logs as Fastify does.
import { LogController, type FastifyBaseLogger, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify';

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

type ChildLoggerFactory = NonNullable<FastifyServerOptions['childLoggerFactory']>;
type Bindings = Parameters<FastifyBaseLogger['child']>[0];
type ChildLoggerOptions = Parameters<FastifyBaseLogger['child']>[1];
type LogMethod = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';

/**
 * A request's child logger, made on first use. Fastify binds a pino child to every request
 * (~1.5 µs each, docs/SCALING.md "CPU per heartbeat"); a route that logs failures only never
 * uses it for a success, so there it is made only when a line is written.
 */
class LazyChildLogger {
  #make: () => FastifyBaseLogger;
  #real: FastifyBaseLogger | undefined;

  constructor(make: () => FastifyBaseLogger) {
    this.#make = make;
  }

  #logger(): FastifyBaseLogger {
    return (this.#real ??= this.#make());
  }

  #call(method: LogMethod, args: unknown[]): void {
    const logger = this.#logger();
    (logger[method] as (...values: unknown[]) => void).apply(logger, args);
  }

  get level(): string {
    return this.#logger().level;
  }

  set level(level: string) {
    this.#logger().level = level;
  }

  trace(...args: unknown[]) {
    this.#call('trace', args);
  }
  debug(...args: unknown[]) {
    this.#call('debug', args);
  }
  info(...args: unknown[]) {
    this.#call('info', args);
  }
  warn(...args: unknown[]) {
    this.#call('warn', args);
  }
  error(...args: unknown[]) {
    this.#call('error', args);
  }
  fatal(...args: unknown[]) {
    this.#call('fatal', args);
  }
  silent(...args: unknown[]) {
    this.#call('silent', args);
  }
  child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return this.#logger().child(bindings, options);
  }
}

/**
 * Fastify's childLoggerFactory: requests to the given paths (routes with `logFailuresOnly`) get
 * their child logger on first use; every other request gets it at once, as Fastify does.
 */
export function lazyChildLoggersFor(paths: readonly string[]): ChildLoggerFactory {
  const lazy = new Set(paths);
  return function childLoggerFactory(logger, bindings, options, rawRequest) {
    const make = () => logger.child(bindings, options);
    return lazy.has(rawRequest.url ?? '') ? (new LazyChildLogger(make) as unknown as FastifyBaseLogger) : make();
  };
}
