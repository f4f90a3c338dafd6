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
import { insertClient } from '../../src/db/clients.ts';
import { listChannels } from '../../src/db/channels.ts';
import { buildTestApp, createBotFor, createOwner } from '../helpers/app.ts';
import { loggedIn, type Browser } from '../helpers/dashboard.ts';
import { BODIES, NO_SESSION, PUBLIC } from '../helpers/route-fixtures.ts';

type Ctx = Awaited<ReturnType<typeof buildTestApp>> & {
  a: Browser;
  aKey: string;
  bUserId: string;
  bBotId: string;
  bKeyId: string;
  bChannelId: string;
  bClientId: string;
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
  ctx.bClientId = (await insertClient(ctx.db, b.user.id, 'B private client', new Date())).id;
});
test.after(async (ctx) => {
  await ctx.app.close();
});

const routes = (ctx: Ctx) => ctx.app.routeTable.filter((route) => route.method !== 'HEAD' && route.method !== 'OPTIONS');
const name = (route: { method: string; url: string }) => `${route.method} ${route.url}`;
const isMutating = (method: string) => !['GET', 'HEAD', 'OPTIONS'].includes(method);

/** The route's URL with its parameters filled: ids are owner B's (the bot, or the API key for key routes). */
function fill(ctx: Ctx, url: string): string {
  const id = url.includes('keys') ? ctx.bKeyId : url.includes('channels') ? ctx.bChannelId : url.includes('clients') ? ctx.bClientId : ctx.bBotId;
  return url.replace(':id', id).replace(':widgetKey', 'pub_unknownkey000').replace(':key', 'stp_unknown').replace('*', 'app.css');
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
