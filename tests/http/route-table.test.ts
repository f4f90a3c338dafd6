// Route-table checks (docs/RELIABILITY.md): every route is read from Fastify's own table, so
// a route added later is checked without anyone listing it here. For each route:
//   1. an anonymous caller is refused (401, a redirect to the log-in page, or 404), unless the
//      route is in PUBLIC below with the reason it is public;
//   2. a route with an :id, called by one owner with another owner's id, answers 404 and changes
//      nothing;
//   3. a mutating call carried by the session cookie without the CSRF token is refused (403),
//      unless the route is in NO_SESSION below (it never reads the session cookie);
//   4. repeated fields and control characters, in the query and the body, never get a 5xx.
import type { LightMyRequestResponse } from 'fastify';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { findOwnedBot } from '../../src/db/bots.ts';
import { listApiKeys } from '../../src/db/api-keys.ts';
import { listChannels } from '../../src/db/channels.ts';
import { buildTestApp, createBotFor, createOwner } from '../helpers/app.ts';
import { loggedIn, type Browser } from '../helpers/dashboard.ts';

/** Routes anyone may call, and why. */
const PUBLIC: Record<string, string> = {
  'GET /': 'redirects to /login or /bots',
  'GET /login': 'the log-in form',
  'POST /login': 'logging in',
  'GET /signup': 'the sign-up form',
  'POST /signup': 'signing up',
  'GET /signup/confirm': 'SIGNUP=verify: the signed link in the URL is the credential (shows a button only)',
  'POST /signup/confirm': 'SIGNUP=verify: the signed link in the form is the credential',
  'POST /signup/resend': 'SIGNUP=verify: the signed token a right password put on the log-in page is the credential',
  'POST /logout': 'ends the session it is given, if any',
  'GET /healthz': 'liveness probe',
  'GET /readyz': 'readiness probe',
  'GET /metrics': 'Prometheus (METRICS_TOKEN guards it when set)',
  'POST /api/bots/wordpress-heartbeat': 'authenticated by the bot token header',
  'POST /api/bots/validate': 'authenticated by the bot token header',
  'POST /api/bots/wordpress-maintenance': 'authenticated by the bot token header',
  'POST /api/bots/wordpress-maintenance/end': 'authenticated by the bot token header',
  'POST /api/bots/wordpress-disconnect': 'authenticated by the bot token header',
  'POST /api/connect/token': 'the single-use connect code (bound to its site, 10 minutes) is the credential',
  'GET /api/bots/config/:widgetKey': 'public widget configuration by public key',
  'GET /api/wordpress/plugin/info': 'plugin updater metadata',
  'GET /api/wordpress/plugin/download': 'plugin zip',
  'GET /widget.js': 'the chat widget script',
  'GET /terms': 'the terms of use the plugin and the sign-up form link to',
  'GET /privacy': 'the privacy policy the plugin and the sign-up form link to',
  'GET /docs/openapi.json': 'API description',
  'GET /alerts/mute': 'the signed link in the URL is the credential',
  'POST /alerts/mute': 'the signed link in the URL is the credential',
  'GET /alerts/confirm-contact': 'the signed link in the URL is the credential (a contact confirming its address)',
  'POST /alerts/confirm-contact': 'the signed link in the URL is the credential (a contact confirming its address)',
  'GET /alerts/unsubscribe': 'the signed link in the URL is the credential',
  'POST /alerts/unsubscribe': 'the signed link in the URL is the credential (RFC 8058 one-click)',
  'GET /static/htmx.min.js': 'static asset',
  'GET /static/*': 'static assets',
};

/** Mutating routes that never act on the session cookie, so need no CSRF token. */
const NO_SESSION: Record<string, string> = {
  'POST /api/bots/wordpress-heartbeat': 'bot token only',
  'POST /api/bots/validate': 'bot token only',
  'POST /api/bots/wordpress-maintenance': 'bot token only',
  'POST /api/bots/wordpress-maintenance/end': 'bot token only',
  'POST /api/bots/wordpress-disconnect': 'bot token only',
  'POST /api/connect/token': 'the connect code only, server to server',
  'POST /alerts/mute': 'signed link only',
  'POST /alerts/unsubscribe': 'signed link only',
  'POST /alerts/confirm-contact': 'signed link only',
};

/** A body each route accepts, so the check meets authorization and not validation. */
const BODIES: Record<string, Record<string, string>> = {
  'POST /bots': { name: 'Via CSRF' },
  'POST /bots/:id/edit': { name: 'taken over' },
  'POST /bots/:id/mute': { duration: '24h' },
  'POST /bots/:id/grace': { stale_grace_minutes: '5' },
  'POST /account': { name: 'taken over' },
  'POST /account/password': { current_password: 'correct horse battery', new_password: 'taken over 123', confirm_password: 'taken over 123' },
  'POST /login': { email: 'x@example.test', password: 'whatever1' },
  'POST /signup': { email: 'csrf-check@example.test', password: 'long enough pass' },
  'PUT /api/bots/:id': { name: 'taken over' },
  'PUT /api/channels/:id': { name: 'taken over' },
  'POST /channels': { kind: 'email', name: 'Via CSRF', target: 'csrf@example.test' },
  'POST /channels/:id': { name: 'taken over' },
  'POST /api/channels': { kind: 'email', name: 'Via CSRF', target: 'csrf@example.test' },
  'POST /api/bots': { name: 'Via CSRF' },
  'POST /api/bots/:id/maintenance': { minutes: '60' },
  'POST /bots/:id/maintenance': { minutes: '60' },
  'POST /api/maintenance': { minutes: '60' },
  'POST /api/maintenance/schedules': { weekday: '1', start: '09:00', minutes: '60' },
  'POST /maintenance/window': { minutes: '60' },
  'POST /maintenance/schedules': { weekday: '1', start: '09:00', minutes: '60' },
};

type Ctx = Awaited<ReturnType<typeof buildTestApp>> & {
  a: Browser;
  aKey: string;
  bUserId: string;
  bBotId: string;
  bKeyId: string;
  bChannelId: string;
};
const test = suite<Ctx>('every route in the route table');

test.before(async (ctx) => {
  Object.assign(ctx, await buildTestApp({ dashboard: { loginLimits: { perIp: 10_000, perEmail: 10_000, windowMs: 60_000 } } }));
  const a = await createOwner(ctx.db);
  const b = await createOwner(ctx.db);
  ctx.a = await loggedIn(ctx.app, a.user.email, a.password);
  ctx.aKey = a.apiKey;
  ctx.bUserId = b.user.id;
  ctx.bBotId = (await createBotFor(ctx.db, b.user.id, { name: 'B private bot' })).bot.id;
  ctx.bKeyId = (await listApiKeys(ctx.db, b.user.id))[0]!.id;
  ctx.bChannelId = (await listChannels(ctx.db, b.user.id))[0]!.id;
});
test.after(async (ctx) => {
  await ctx.app.close();
});

const routes = (ctx: Ctx) => ctx.app.routeTable.filter((route) => route.method !== 'HEAD' && route.method !== 'OPTIONS');
const name = (route: { method: string; url: string }) => `${route.method} ${route.url}`;
const isMutating = (method: string) => !['GET', 'HEAD', 'OPTIONS'].includes(method);

/** The route's URL with its parameters filled: ids are owner B's (the bot, or the API key for key routes). */
function fill(ctx: Ctx, url: string): string {
  const id = url.includes('keys') ? ctx.bKeyId : url.includes('channels') ? ctx.bChannelId : ctx.bBotId;
  return url.replace(':id', id).replace(':widgetKey', 'pub_unknownkey000').replace('*', 'app.css');
}

async function call(ctx: Ctx, method: string, url: string, options: { cookies?: Record<string, string>; headers?: Record<string, string>; form?: Record<string, string> } = {}): Promise<LightMyRequestResponse> {
  const isApi = url.startsWith('/api/');
  const body = options.form ?? {};
  return ctx.app.inject({
    method: method as 'GET',
    url,
    cookies: options.cookies,
    headers: {
      accept: isApi ? 'application/json' : 'text/html',
      ...(isMutating(method) ? { 'content-type': isApi ? 'application/json' : 'application/x-www-form-urlencoded' } : {}),
      ...options.headers,
    },
    payload: isMutating(method) ? (isApi ? JSON.stringify(body) : new URLSearchParams(body).toString()) : undefined,
  });
}

test('the table holds every kind of route (so the checks below see them)', (ctx) => {
  const names = routes(ctx).map(name);
  // pages, fragments, the owner API, the key API, the plugin endpoints
  for (const expected of ['GET /bots/:id', 'GET /bots/:id/status', 'PUT /api/bots/:id', 'DELETE /api/keys/:id', 'POST /api/bots/wordpress-heartbeat', 'POST /account/api-keys/:id/revoke']) {
    assert.ok(names.includes(expected), expected);
  }
});

test('every route that is not public refuses an anonymous caller', async (ctx) => {
  const checked: string[] = [];
  for (const route of routes(ctx)) {
    if (PUBLIC[name(route)]) continue;
    const response = await call(ctx, route.method, fill(ctx, route.url), { form: BODIES[`${route.method} ${route.url}`] });
    const refused =
      response.statusCode === 401 ||
      response.statusCode === 404 ||
      // pages send the browser to log in; a POST without a session also fails CSRF first
      (response.statusCode === 303 && String(response.headers.location).startsWith('/login')) ||
      (response.statusCode === 403 && isMutating(route.method));
    // refused, for every route read from the table
    assert.ok(refused, `${name(route)} answered ${response.statusCode} to an anonymous caller`);
    checked.push(name(route));
  }
  assert.ok(checked.length >= 20, `only ${checked.length} routes checked`);
});

test("every route with an :id, given another owner's id, is a 404 and changes nothing", async (ctx) => {
  const checked: string[] = [];
  for (const route of routes(ctx)) {
    if (!route.url.includes(':id')) continue;
    const url = fill(ctx, route.url);
    const form = BODIES[name(route)] ?? {};
    const asSession = url.startsWith('/api/')
      ? await call(ctx, route.method, url, { cookies: ctx.a.cookies, headers: { 'x-csrf-token': ctx.a.csrf! }, form })
      : await call(ctx, route.method, url, { cookies: ctx.a.cookies, form: { _csrf: ctx.a.csrf!, ...form } });
    // 404 through the session
    assert.is(asSession.statusCode, 404, `${name(route)} with the session`);
    if (url.startsWith('/api/')) {
      const asKey = await call(ctx, route.method, url, { headers: { authorization: `Bearer ${ctx.aKey}` }, form });
      // 404 through an API key
      assert.is(asKey.statusCode, 404, `${name(route)} with an API key`);
    }
    checked.push(name(route));
  }
  const bot = await findOwnedBot(ctx.db, ctx.bUserId, ctx.bBotId);
  // owner B's bot and key are untouched
  assert.is(bot?.name, 'B private bot');
  assert.is(bot?.muted_until, null);
  assert.is((await listApiKeys(ctx.db, ctx.bUserId)).length, 1);
  // and B's account email channel too
  assert.equal((await listChannels(ctx.db, ctx.bUserId)).map((c) => [c.id, c.name, c.enabled]), [[ctx.bChannelId, 'Account email', true]]);
  assert.ok(checked.length >= 10, `only ${checked.length} routes checked`);
});

test('every mutating route carried by the session cookie needs the CSRF token', async (ctx) => {
  const checked: string[] = [];
  for (const route of routes(ctx)) {
    if (!isMutating(route.method) || NO_SESSION[name(route)]) continue;
    // a missing id: CSRF is checked before any lookup, so anything but 403 means it was skipped
    const url = route.url.includes(':id') ? route.url.replace(':id', '00000000-0000-4000-8000-000000000000') : route.url;
    const response = await call(ctx, route.method, url, { cookies: ctx.a.cookies, form: BODIES[name(route)] });
    // 403 without the token
    assert.is(response.statusCode, 403, `${name(route)} without a CSRF token`);
    checked.push(name(route));
  }
  assert.ok(checked.length >= 12, `only ${checked.length} routes checked`);
});

// Last in the suite: with a valid CSRF token this also reaches POST /logout, ending the session.
test('no route answers a repeated field or a control character with a 5xx', async (ctx) => {
  // the names routes read, each given twice and with a NUL, in the query and in the body
  const names = ['q', 'status', 'page', 'next', 't', 'saved', 'name', 'email', 'password', 'duration', 'description', 'timezone', 'stale_grace_minutes'];
  const hostile = names.flatMap((field) => [`${field}=a`, `${field}=b%00`]).join('&');
  const checked: string[] = [];
  for (const route of routes(ctx)) {
    const url = `${fill(ctx, route.url)}?${hostile}`;
    for (const cookies of [undefined, ctx.a.cookies]) {
      const response = await ctx.app.inject({
        method: route.method as 'GET',
        url,
        cookies,
        headers: isMutating(route.method) ? { 'content-type': 'application/x-www-form-urlencoded', 'x-csrf-token': ctx.a.csrf! } : {},
        payload: isMutating(route.method) ? `_csrf=${encodeURIComponent(ctx.a.csrf!)}&${hostile}` : undefined,
      });
      // a 4xx (or a page that ignores what it does not read), never a server error
      assert.ok(response.statusCode < 500, `${name(route)} answered ${response.statusCode}: ${response.body.slice(0, 200)}`);
    }
    checked.push(name(route));
  }
  assert.ok(checked.length >= 30, `only ${checked.length} routes checked`);
});

test.run();
