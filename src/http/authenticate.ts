// Who is calling the owner API: a Bearer personal API key (adk_…), or the dashboard's session
// cookie. A cookie rides along with any request the browser makes, so cookie-authenticated
// mutating calls must also carry the CSRF token (csrfForCookieAuth); key-authenticated ones need none.
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import type { UserRow } from '../db/users.ts';
import { UnauthorizedError } from '../errors.ts';
import { authorize } from './authorize.ts';
import type { AccountContext } from '../domain/roles.ts';

/** The dashboard's session cookie (HttpOnly, SameSite=Lax, Secure over HTTPS). */
export const SESSION_COOKIE = 'adk_session';

declare module 'fastify' {
  interface FastifyRequest {
    /** The person calling (request.account is the account they work in, src/http/authorize.ts). */
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

/** The person calling and the account they work in, with their role there. */
export interface Caller {
  user: UserRow;
  account: AccountContext;
}

/** What authentication asks of the accounts services (src/accounts/user-service.ts, session-service.ts), so http does not import them. */
export interface OwnerLookup {
  callerForApiKey(key: string): Promise<Caller | undefined>;
}
export interface SessionLookup {
  callerForSession(token: string): Promise<Caller | undefined>;
}

/**
 * preHandler that puts the calling person on request.owner and their account and role on
 * request.account, or answers 401; then the route's role check (403).
 */
export function requireOwner(users: OwnerLookup, sessions?: SessionLookup) {
  return async function authenticateOwner(request: FastifyRequest, reply: FastifyReply) {
    // Every answer of the owner API is private to its caller: no cache may keep it.
    reply.header('Cache-Control', 'no-store');
    const key = bearerToken(request);
    if (key) {
      const caller = await users.callerForApiKey(key);
      if (!caller) throw new UnauthorizedError('Invalid API key');
      request.owner = caller.user;
      request.account = caller.account;
      request.authenticatedBy = 'api_key';
      return authorize(request);
    }
    const cookie = sessions ? request.cookies?.[SESSION_COOKIE] : undefined;
    const caller = cookie ? await sessions!.callerForSession(cookie) : undefined;
    if (caller) {
      request.owner = caller.user;
      request.account = caller.account;
      request.authenticatedBy = 'session';
      return authorize(request);
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
