// What request logs may not show: the signed token in a mail link's query string (it is the
// credential for /alerts/*), and any credential header or password field should a log line ever
// include a request's headers or body. Applied to every logger buildApp creates, tests' included.
import type { FastifyServerOptions } from 'fastify';

/** Paths whose query string is a credential. */
const SECRET_QUERY_PREFIXES = ['/alerts/'];

export function redactUrl(url: string): string {
  const query = url.indexOf('?');
  if (query === -1 || !SECRET_QUERY_PREFIXES.some((prefix) => url.startsWith(prefix))) return url;
  return `${url.slice(0, query)}?[redacted]`;
}

interface LoggedRequest {
  method: string;
  url: string;
  host?: string;
  ip?: string;
  socket?: { remotePort?: number };
}

const serializers = {
  // Fastify's own request serializer, with the URL redacted (headers are never logged).
  req: (request: LoggedRequest) => ({
    method: request.method,
    url: typeof request.url === 'string' ? redactUrl(request.url) : undefined,
    host: request.host,
    remoteAddress: request.ip,
    remotePort: request.socket?.remotePort,
  }),
};

export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-bot-token"]',
  'headers.authorization',
  'headers.cookie',
  'headers["x-bot-token"]',
  '*.password',
  '*.current_password',
  '*.new_password',
  '*.confirm_password',
  '*.token',
  '*.apiKey',
];

/** The logger options with the serializers and redaction added (false and instances pass through). */
export function withLogRedaction(logger: FastifyServerOptions['logger']): FastifyServerOptions['logger'] {
  if (typeof logger !== 'object' || logger === null) return logger;
  return {
    ...logger,
    serializers: { ...serializers, ...(logger as { serializers?: object }).serializers },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
  };
}
