// Who is calling the owner API. Bearer personal API keys (adk_…); the dashboard adds sessions.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { UserService } from '../accounts/user-service.ts';
import type { UserRow } from '../db/users.ts';
import { UnauthorizedError } from '../errors.ts';

declare module 'fastify' {
  interface FastifyRequest {
    owner?: UserRow;
  }
}

export function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

/** preHandler that puts the calling owner on request.owner or answers 401. */
export function requireOwner(users: UserService) {
  return async function authenticateOwner(request: FastifyRequest, _reply: FastifyReply) {
    const key = bearerToken(request);
    if (key) {
      const owner = await users.userForApiKey(key);
      if (!owner) throw new UnauthorizedError('Invalid API key');
      request.owner = owner;
      return;
    }
    throw new UnauthorizedError('Authentication required: send Authorization: Bearer adk_… (create a key with `agentdesk create-api-key`)');
  };
}
