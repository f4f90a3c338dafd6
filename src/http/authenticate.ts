// Who is calling the owner API: a Bearer personal API key (adk_…), or the dashboard's session
// cookie. A cookie rides along with any request the browser makes, so cookie-authenticated
// mutating calls must also carry the CSRF token (csrfForCookieAuth); key-authenticated ones need none.
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import type { UserRow } from '../db/users.ts';
import { UnauthorizedError } from '../errors.ts';

/** The dashboard's session cookie (HttpOnly, SameSite=Lax, Secure over HTTPS). */
export const SESSION_COOKIE = 'adk_session';

declare module 'fastify' {
  interface FastifyRequest {
    owner?: UserRow;
    /** How request.owner was authenticated. */
    authenticatedBy?: 'api_key' | 'session';
  }
}

export function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

/** What authentication asks of the accounts services (src/accounts/user-service.ts, session-service.ts), so http does not import them. */
export interface OwnerLookup {
  userForApiKey(key: string): Promise<UserRow | undefined>;
}
export interface SessionLookup {
  userForSession(token: string): Promise<UserRow | undefined>;
}

/** preHandler that puts the calling owner on request.owner or answers 401. */
export function requireOwner(users: OwnerLookup, sessions?: SessionLookup) {
  return async function authenticateOwner(request: FastifyRequest, reply: FastifyReply) {
    // Every answer of the owner API is private to its caller: no cache may keep it.
    reply.header('Cache-Control', 'no-store');
    const key = bearerToken(request);
    if (key) {
      const owner = await users.userForApiKey(key);
      if (!owner) throw new UnauthorizedError('Invalid API key');
      request.owner = owner;
      request.authenticatedBy = 'api_key';
      return;
    }
    const cookie = sessions ? request.cookies?.[SESSION_COOKIE] : undefined;
    const owner = cookie ? await sessions!.userForSession(cookie) : undefined;
    if (owner) {
      request.owner = owner;
      request.authenticatedBy = 'session';
      return;
    }
    throw new UnauthorizedError('Authentication required: send Authorization: Bearer adk_… (create a key with `agentdesk create-api-key`)');
  };
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** preHandler after requireOwner: a cookie-authenticated mutating call needs a valid CSRF token (x-csrf-token). */
export function csrfForCookieAuth(request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) {
  if (request.authenticatedBy !== 'session' || SAFE_METHODS.has(request.method)) return done();
  // The CSRF cookie is signed with the server secret, loaded from the database on first use.
  request.server.serverSecret.ensure().then(
    () => request.server.csrfProtection(request, reply, done),
    (error: Error) => done(error),
  );
}
