// The Fastify options that decide how the server treats its connections: which proxies it
// believes and how long a client may take. Kept here so app.ts only spreads them.
import type { FastifyServerOptions } from 'fastify';
import type { Config } from '../config.ts';

/** Idle sockets in a keep-alive pool are closed after this (above common load balancers' 60 s). */
export const KEEP_ALIVE_TIMEOUT_MS = 72_000;

export function serverOptions(config: Config) {
  const requestTimeout = config.requestTimeoutMs;
  return {
    // A hop count becomes the function Fastify itself would build: trust the nearest N hops.
    trustProxy: typeof config.trustProxy === 'number' ? trustHops(config.trustProxy) : config.trustProxy,
    // A client that sends headers and half a body (or drips bytes) is answered 408 and cut off.
    // Node only checks every connectionsCheckingInterval, so that interval follows the timeout.
    requestTimeout,
    // An idle socket (nothing sent either way) is closed; longer than requestTimeout so a slow
    // upload gets its 408 first.
    connectionTimeout: requestTimeout * 2,
    keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
    http: {
      headersTimeout: Math.min(requestTimeout, 60_000),
      requestTimeout,
      connectionsCheckingInterval: Math.max(100, Math.min(5_000, Math.floor(requestTimeout / 4))),
    },
  } satisfies Partial<FastifyServerOptions> & { http: object };
}

function trustHops(hops: number) {
  return (_address: string, hop: number) => hop < hops;
}
