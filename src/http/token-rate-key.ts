// The rate-limit key of the endpoints a site calls with its bot token: per token (hashed, so the
// limiter's memory holds no secret), so one site cannot exhaust another's budget; without a token,
// per address.
import type { FastifyRequest } from 'fastify';
import { hashSecret } from '../accounts/credentials.ts';

export function perBotToken(prefix: string) {
  return (request: FastifyRequest): string => {
    const token = request.headers['x-bot-token'];
    return typeof token === 'string' && token ? `${prefix}:${hashSecret(token)}` : `${prefix}-ip:${request.ip}`;
  };
}
