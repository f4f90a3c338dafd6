// The rate-limit key of the endpoints a site calls with its bot token: per token (hashed, so the
// limiter's memory holds no secret), so one site cannot exhaust another's budget; without a token,
// per address.
import type { FastifyRequest } from 'fastify';
import { hashSecret } from './credentials.ts';

/**
 * The X-Bot-Token header and its hash, hashed once per request: the rate limiter keys on the hash
 * and the heartbeat looks its bot up by the same hash (the hot path, bench/heartbeat-ingest.ts).
 */
const hashedTokens = new WeakMap<FastifyRequest, { token: string; hash: string }>();
export function hashedBotToken(request: FastifyRequest): { token: string; hash: string } | undefined {
  const known = hashedTokens.get(request);
  if (known) return known;
  const token = request.headers['x-bot-token'];
  if (typeof token !== 'string' || !token) return undefined;
  const entry = { token, hash: hashSecret(token) };
  hashedTokens.set(request, entry);
  return entry;
}

export function perBotToken(prefix: string) {
  return (request: FastifyRequest): string => {
    const token = hashedBotToken(request);
    return token ? `${prefix}:${token.hash}` : `${prefix}-ip:${request.ip}`;
  };
}
