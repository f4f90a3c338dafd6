import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { buildTestApp, createBotFor, createOwner, heartbeatBody, postHeartbeat } from '../helpers/app.ts';
import { loggedIn } from '../helpers/dashboard.ts';
import { botToJson } from '../../src/bots/bot-json.ts';
import { findOwnedBot } from '../../src/db/bots.ts';

type Ctx = Awaited<ReturnType<typeof buildTestApp>> & { owner: Awaited<ReturnType<typeof createOwner>> };
const test = suite<Ctx>('bots JSON API');

test.before(async (ctx) => {
  Object.assign(ctx, await buildTestApp());
});
test.before.each(async (ctx) => {
  ctx.owner = await createOwner(ctx.db);
});
test.after(async (ctx) => {
  await ctx.app.close();
});

const call = (ctx: Ctx, method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, body?: unknown, key = ctx.owner.apiKey) =>
  ctx.app.inject({
    method,
    url,
    headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    payload: body === undefined ? undefined : JSON.stringify(body),
  });

test('POST /api/bots creates a bot and returns its token once', async (ctx) => {
  const response = await call(ctx, 'POST', '/api/bots', { name: 'API bot', language: 'pt-BR', stale_grace_seconds: 300, unknown_field: 1 });
  // 201 with the bot and the token
  assert.is(response.statusCode, 201);
  const { bot, token } = response.json();
  assert.match(token, /^bot_[A-Za-z0-9_-]{43}$/);
  assert.is(bot.name, 'API bot');
  assert.is(bot.language, 'pt-BR');
  assert.is(bot.stale_grace_seconds, 300);
  assert.is(bot.connection_status, 'never');
  // no hash anywhere, and the token is not part of the bot
  assert.not.ok('token_hash' in bot);
  assert.not.ok('token' in bot);
  const read = await call(ctx, 'GET', `/api/bots/${bot.id}`);
  // later reads never include it
  assert.not.ok(read.body.includes(token));
  const heartbeat = await postHeartbeat(ctx.app, token);
  // the token works
  assert.is(heartbeat.statusCode, 200);
});

test('POST /api/bots names the invalid field', async (ctx) => {
  const missing = await call(ctx, 'POST', '/api/bots', { language: 'en' });
  // name is required (schema)
  assert.is(missing.statusCode, 400);
  assert.equal(missing.json().success, false);
  assert.match(missing.json().message, /name/);
  const badLanguage = await call(ctx, 'POST', '/api/bots', { name: 'x', language: 'English!' });
  // domain validation
  assert.is(badLanguage.statusCode, 400);
  assert.match(badLanguage.json().message, /language/);
});

test('PUT /api/bots/:id changes only the fields sent, including mute and grace', async (ctx) => {
  const { bot } = await createBotFor(ctx.db, ctx.owner.user.id, { name: 'Old', welcome_message: 'Hi' });
  const response = await call(ctx, 'PUT', `/api/bots/${bot.id}`, { name: 'New', is_active: false, muted_until: '2030-01-01T00:00:00Z', stale_grace_seconds: 600 });
  // 200 with the updated bot
  assert.is(response.statusCode, 200);
  const json = response.json();
  assert.is(json.name, 'New');
  assert.is(json.welcome_message, 'Hi');
  assert.is(json.connection_status, 'disabled');
  assert.is(json.muted_until, '2030-01-01T00:00:00.000Z');
  assert.is(json.stale_grace_seconds, 600);
  const unmute = await call(ctx, 'PUT', `/api/bots/${bot.id}`, { muted_until: null });
  // null unmutes
  assert.is(unmute.json().muted_until, null);
  const bad = await call(ctx, 'PUT', `/api/bots/${bot.id}`, { muted_until: 'tomorrow' });
  // a bad time is a 400
  assert.is(bad.statusCode, 400);
  const empty = await call(ctx, 'PUT', `/api/bots/${bot.id}`, {});
  // and so is an empty change
  assert.is(empty.statusCode, 400);
});

test('DELETE /api/bots/:id deletes the bot', async (ctx) => {
  const { bot } = await createBotFor(ctx.db, ctx.owner.user.id);
  const response = await call(ctx, 'DELETE', `/api/bots/${bot.id}`);
  // 200, then gone
  assert.is(response.statusCode, 200);
  assert.equal(response.json(), { success: true, message: 'Bot deleted' });
  assert.is((await call(ctx, 'GET', `/api/bots/${bot.id}`)).statusCode, 404);
});

test('POST /api/bots/:id/rotate-token returns a new token and voids the old one', async (ctx) => {
  const { bot, token } = await createBotFor(ctx.db, ctx.owner.user.id);
  const response = await call(ctx, 'POST', `/api/bots/${bot.id}/rotate-token`);
  // a different token, and the bot's new prefix
  assert.is(response.statusCode, 200);
  const json = response.json();
  assert.is.not(json.token, token);
  assert.is(json.bot.token_prefix, json.token.slice(0, 10));
  const validateOld = await ctx.app.inject({ method: 'POST', url: '/api/bots/validate', headers: { 'x-bot-token': token } });
  const validateNew = await ctx.app.inject({ method: 'POST', url: '/api/bots/validate', headers: { 'x-bot-token': json.token } });
  // old refused, new accepted
  assert.is(validateOld.statusCode, 401);
  assert.is(validateNew.statusCode, 200);
});

test('owner routes need a key or a session', async (ctx) => {
  for (const [method, url] of [
    ['GET', '/api/bots'],
    ['POST', '/api/bots'],
    ['PUT', '/api/bots/00000000-0000-4000-8000-000000000000'],
  ] as const) {
    const response = await ctx.app.inject({ method, url, headers: { 'content-type': 'application/json' }, payload: method === 'GET' ? undefined : '{}' });
    // 401 in the seed's shape, before any body validation
    assert.is(response.statusCode, 401, `${method} ${url}`);
    assert.is(response.json().success, false);
  }
});

test('with the session cookie, reads work and writes need the CSRF header', async (ctx) => {
  const b = await loggedIn(ctx.app, ctx.owner.user.email, ctx.owner.password);
  const { bot } = await createBotFor(ctx.db, ctx.owner.user.id, { name: 'Cookie bot' });
  const list = await b.api('GET', '/api/bots');
  // a GET needs no token
  assert.is(list.statusCode, 200);
  assert.ok(list.json().bots.some((item: { id: string }) => item.id === bot.id));
  const refused = await b.api('PUT', `/api/bots/${bot.id}`, { name: 'Changed' });
  const forged = await b.api('PUT', `/api/bots/${bot.id}`, { name: 'Changed' }, { 'x-csrf-token': 'forged' });
  const create = await b.api('POST', '/api/bots', { name: 'Sneaky' });
  // 403 without a valid token
  assert.is(refused.statusCode, 403);
  assert.is(forged.statusCode, 403);
  assert.is(create.statusCode, 403);
  assert.is(refused.json().success, false);
  assert.is((await findOwnedBot(ctx.db, ctx.owner.user.id, bot.id))?.name, 'Cookie bot');
  const accepted = await b.api('PUT', `/api/bots/${bot.id}`, { name: 'Changed' }, { 'x-csrf-token': b.csrf! });
  // accepted with the page's token
  assert.is(accepted.statusCode, 200);
  assert.is(accepted.json().name, 'Changed');
});

test('the response schema lists every field of the bot JSON', async (ctx) => {
  const { bot } = await createBotFor(ctx.db, ctx.owner.user.id);
  const response = await call(ctx, 'GET', `/api/bots/${bot.id}`);
  const spec = (await ctx.app.inject({ method: 'GET', url: '/docs/openapi.json' })).json();
  const documented = Object.keys(spec.paths['/api/bots/{id}'].get.responses['200'].content['application/json'].schema.properties).sort();
  // what the API sends is what it documents
  assert.equal(Object.keys(response.json()).sort(), Object.keys(botToJson({ ...bot, maintenance_until: null })).sort());
  assert.equal(documented, Object.keys(botToJson({ ...bot, maintenance_until: null })).sort());
});

test('/docs/openapi.json documents the bots API with request and response schemas', async (ctx) => {
  const response = await ctx.app.inject({ method: 'GET', url: '/docs/openapi.json' });
  // an OpenAPI 3.1 document
  assert.is(response.statusCode, 200);
  const spec = response.json();
  assert.is(spec.openapi, '3.1.0');
  // every owner route, and no dashboard page
  for (const [path, method] of [
    ['/api/bots', 'get'],
    ['/api/bots', 'post'],
    ['/api/bots/{id}', 'get'],
    ['/api/bots/{id}', 'put'],
    ['/api/bots/{id}', 'delete'],
    ['/api/bots/{id}/rotate-token', 'post'],
    ['/api/bots/validate', 'post'],
  ] as const) {
    assert.ok(spec.paths[path]?.[method], `${method} ${path}`);
  }
  assert.not.ok(Object.keys(spec.paths).some((path: string) => path.startsWith('/bots') || path === '/login'));
  // the create request body and its 201 response
  const create = spec.paths['/api/bots'].post;
  assert.equal(create.requestBody.content['application/json'].schema.required, ['name']);
  assert.ok(create.responses['201'].content['application/json'].schema.properties.token);
  // both ways to authenticate
  assert.ok(spec.components.securitySchemes.bearerKey);
  assert.ok(spec.components.securitySchemes.sessionCookie);
});

test.run();
