// A scripted browser for inject tests: keeps cookies, reads the CSRF token from each page, and
// posts forms the way a browser does (urlencoded, Accept: text/html).
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';

export interface Browser {
  cookies: Record<string, string>;
  /** The CSRF token of the last page that had one. */
  csrf: string | undefined;
  get(url: string, headers?: Record<string, string>): Promise<LightMyRequestResponse>;
  /** Posts a form; `_csrf` is added from the last page unless the form sets it (or null drops it). */
  post(url: string, form?: Record<string, string | null>, headers?: Record<string, string>): Promise<LightMyRequestResponse>;
  /** A JSON API call with the session cookie (and, when given, the x-csrf-token header). */
  api(method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, body?: unknown, headers?: Record<string, string>): Promise<LightMyRequestResponse>;
}

export function csrfOf(html: string): string | undefined {
  return /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? /<meta name="csrf-token" content="([^"]+)"/.exec(html)?.[1];
}

export function browser(app: FastifyInstance): Browser {
  const state: Browser = {
    cookies: {},
    csrf: undefined,
    async get(url, headers = {}) {
      const response = await app.inject({ method: 'GET', url, cookies: state.cookies, headers: { accept: 'text/html', ...headers } });
      remember(response);
      return response;
    },
    async post(url, form = {}, headers = {}) {
      const fields: Record<string, string> = {};
      if (!('_csrf' in form) && state.csrf) fields._csrf = state.csrf;
      for (const [key, value] of Object.entries(form)) if (value !== null) fields[key] = value;
      const response = await app.inject({
        method: 'POST',
        url,
        cookies: state.cookies,
        headers: { accept: 'text/html', 'content-type': 'application/x-www-form-urlencoded', ...headers },
        payload: new URLSearchParams(fields).toString(),
      });
      remember(response);
      return response;
    },
    async api(method, url, body, headers = {}) {
      return app.inject({
        method,
        url,
        cookies: state.cookies,
        headers: { accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
        payload: body === undefined ? undefined : JSON.stringify(body),
      });
    },
  };
  const remember = (response: LightMyRequestResponse) => {
    for (const cookie of response.cookies as Array<{ name: string; value: string; maxAge?: number; expires?: Date }>) {
      if (cookie.value === '' || cookie.maxAge === 0 || (cookie.expires && cookie.expires.getTime() < Date.now())) delete state.cookies[cookie.name];
      else state.cookies[cookie.name] = cookie.value;
    }
    const token = csrfOf(response.body);
    if (token) state.csrf = token;
  };
  return state;
}

/** A browser logged in as this user (through the real login form). */
export async function loggedIn(app: FastifyInstance, email: string, password: string): Promise<Browser> {
  const b = browser(app);
  await b.get('/login');
  const response = await b.post('/login', { email, password });
  if (response.statusCode !== 303) throw new Error(`login failed: ${response.statusCode} ${response.body.slice(0, 200)}`);
  await b.get('/bots');
  return b;
}
