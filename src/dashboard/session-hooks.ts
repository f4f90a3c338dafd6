// Who is looking at a page: the session cookie resolved to a user (request.viewer), the cookie's
// options, and the page renderer that adds the layout and the CSRF token.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { SessionService } from '../accounts/session-service.ts';
import { SESSION_TTL_MS } from '../accounts/session-service.ts';
import type { Config } from '../config.ts';
import type { UserRow } from '../db/users.ts';
import { SESSION_COOKIE } from '../http/authenticate.ts';
import { authorize } from '../http/authorize.ts';
import { mayDo, type AccountContext } from '../domain/roles.ts';
import { isHttps } from './web-plugins.ts';

declare module 'fastify' {
  interface FastifyRequest {
    viewer?: UserRow;
  }
}

export interface PageDeps {
  config: Config;
  sessions: SessionService;
  /** Seconds between the dashboard's htmx refreshes of lists and status cards. */
  pollSeconds: number;
}

export function sessionCookieOptions(request: FastifyRequest, config: Config) {
  return { path: '/', httpOnly: true, sameSite: 'lax' as const, secure: isHttps(request, config), maxAge: SESSION_TTL_MS / 1000 };
}

/** Resolves the session cookie (if any) to request.viewer (the person) and request.account. */
export function loadViewer(sessions: SessionService) {
  return async function loadSessionViewer(request: FastifyRequest) {
    const token = request.cookies[SESSION_COOKIE];
    const caller = token ? await sessions.callerForSession(token) : undefined;
    if (caller) {
      request.viewer = caller.user;
      request.account = caller.account;
    }
  };
}

/**
 * preHandler for pages: without a session, browsers go to the login page (and come back after);
 * with one, the route's role check (403).
 */
export function requireViewer(sessions: SessionService) {
  const load = loadViewer(sessions);
  return async function requireSessionViewer(request: FastifyRequest, reply: FastifyReply) {
    await load(request);
    if (request.viewer) return authorize(request);
    const next = request.method === 'GET' ? `?next=${encodeURIComponent(request.url)}` : '';
    // htmx follows redirects inside fetch; HX-Redirect makes it load the login page as a whole page.
    if (request.headers['hx-request']) return reply.header('HX-Redirect', `/login${next}`).code(204).send();
    return reply.redirect(`/login${next}`, 303);
  };
}

/** preHandler for admin pages: anyone else gets the same 404 as an unknown page. */
export function requireAdmin(request: FastifyRequest, reply: FastifyReply, done: () => void) {
  if (request.viewer?.role !== 'admin') {
    reply.callNotFound();
    return;
  }
  done();
}

/** A path to come back to after logging in: only a local path, never another site. */
export function safeNext(next: unknown): string {
  return typeof next === 'string' && /^\/(?!\/|\\)[^\s]*$/.test(next) ? next : '/bots';
}

/** The page asked for after logging in, when one was and it is ours (safeNext's rule); else undefined. */
export function askedNext(next: unknown): string | undefined {
  return safeNext(next) === next ? (next as string) : undefined;
}

const PAGE_TITLES: Record<string, string> = {
  login: 'Log in',
  signup: 'Sign up',
  account: 'Account',
  bots: 'Your bots',
  'bot-new': 'New bot',
  fleet: 'Fleet',
  channels: 'Alert channels',
};

export function createPageRenderer({ config, pollSeconds }: Pick<PageDeps, 'config' | 'pollSeconds'>) {
  return {
    /** A full page inside the layout, with the viewer and a CSRF token for its forms. */
    page(request: FastifyRequest, reply: FastifyReply, template: string, data: Record<string, unknown> = {}) {
      // Error pages outside the dashboard may render before the secret is loaded: no token then.
      const csrf = request.server.serverSecret.current() ? reply.generateCsrf({ secure: isHttps(request, config) } as never) : undefined;
      reply.header('Cache-Control', 'no-store');
      const title = data.title ?? (data.bot as { name?: string } | undefined)?.name ?? PAGE_TITLES[template];
      return reply.view(`pages/${template}.hbs`, { ...data, title, viewer: viewerView(request.viewer, request.account), csrf, pollSeconds }, { layout: 'layouts/main.hbs' });
    },
    /**
     * A page that is the same for every reader (the legal pages): no viewer, no CSRF token and no
     * cookie, so browsers and shared caches may keep it for maxAgeSeconds.
     */
    publicPage(reply: FastifyReply, template: string, data: Record<string, unknown>, maxAgeSeconds: number) {
      reply.header('Cache-Control', `public, max-age=${maxAgeSeconds}`);
      return reply.view(`pages/${template}.hbs`, { ...data, publicPage: true }, { layout: 'layouts/main.hbs' });
    },
    /** An htmx fragment (no layout). */
    fragment(reply: FastifyReply, template: string, data: Record<string, unknown> = {}) {
      reply.header('Cache-Control', 'no-store');
      return reply.view(`partials/${template}.hbs`, { ...data, pollSeconds });
    },
  };
}

export type PageRenderer = ReturnType<typeof createPageRenderer>;

function viewerView(user: UserRow | undefined, account: AccountContext | undefined) {
  return (
    user && {
      email: user.email,
      name: user.name,
      isAdmin: user.role === 'admin',
      timezone: user.timezone,
      account: account && { id: account.id, name: account.name, role: account.role },
      // What the menu offers; the server checks every route anyway (src/http/authorize.ts).
      can: account && {
        createBots: mayDo(account.role, 'bots:create'),
        editBots: mayDo(account.role, 'bots:edit'),
        workOnSites: mayDo(account.role, 'maintenance:write'),
        deleteBots: mayDo(account.role, 'bots:delete'),
        rotateTokens: mayDo(account.role, 'bots:rotate-token'),
        manageMembers: mayDo(account.role, 'members:read'),
        readAudit: mayDo(account.role, 'audit:read'),
      },
    }
  );
}
