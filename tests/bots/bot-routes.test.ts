import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { buildTestApp, createBotFor, createOwner, heartbeatBody, postHeartbeat } from '../helpers/app.ts';

type Ctx = Awaited<ReturnType<typeof buildTestApp>>;
const test = suite<Ctx>('bots API for plugins and owners');

test.before(async (ctx) => {
  Object.assign(ctx, await buildTestApp());
});
test.after(async (ctx) => {
  await ctx.app.close();
});

test('GET /api/bots/:id shows the WordPress connection after a heartbeat, never the token', async (ctx) => {
  const { user, apiKey } = await createOwner(ctx.db);
  const { bot, token } = await createBotFor(ctx.db, user.id, { name: 'Shop' });
  await postHeartbeat(ctx.app, token, heartbeatBody({ site_url: 'https://shop.example.com', wp_version: '6.1.1' }));
  const response = await ctx.app.inject({ url: `/api/bots/${bot.id}`, headers: { authorization: `Bearer ${apiKey}` } });
  const body = response.json();
  // the seed's fields plus the contract's
  assert.is(response.statusCode, 200);
  assert.is(body.wordpress_connected, true);
  assert.is(body.connection_status, 'connected');
  assert.is(body.wordpress_site_url, 'https://shop.example.com');
  assert.is(body.wordpress_plugin_version, '1.1.0');
  assert.is(body.wordpress_wp_version, '6.1.1');
  assert.is(body.wordpress_last_activity, ctx.clock.now().toISOString());
  // nothing secret
  assert.not.match(response.body, token);
  assert.not.ok('token_hash' in body);
  assert.not.ok('api_token' in body);
});

test('GET /api/bots lists only the caller’s bots', async (ctx) => {
  const a = await createOwner(ctx.db);
  const b = await createOwner(ctx.db);
  await createBotFor(ctx.db, a.user.id, { name: 'A1' });
  await createBotFor(ctx.db, a.user.id, { name: 'A2' });
  await createBotFor(ctx.db, b.user.id, { name: 'B1' });
  const response = await ctx.app.inject({ url: '/api/bots', headers: { authorization: `Bearer ${a.apiKey}` } });
  // A sees A's two bots and nothing of B's
  assert.equal(
    response.json().bots.map((bot: { name: string }) => bot.name),
    ['A1', 'A2'],
  );
});

test('another owner’s bot is a 404 exactly like a missing one', async (ctx) => {
  const a = await createOwner(ctx.db);
  const b = await createOwner(ctx.db);
  const { bot } = await createBotFor(ctx.db, b.user.id);
  const foreign = await ctx.app.inject({ url: `/api/bots/${bot.id}`, headers: { authorization: `Bearer ${a.apiKey}` } });
  const missing = await ctx.app.inject({ url: '/api/bots/00000000-0000-4000-8000-000000000000', headers: { authorization: `Bearer ${a.apiKey}` } });
  const notUuid = await ctx.app.inject({ url: '/api/bots/not-a-uuid', headers: { authorization: `Bearer ${a.apiKey}` } });
  // never a 403 that confirms the bot exists
  assert.is(foreign.statusCode, 404);
  assert.equal(foreign.json(), missing.json());
  assert.is(notUuid.statusCode, 404);
});

test('the owner API needs a valid API key', async (ctx) => {
  const none = await ctx.app.inject({ url: '/api/bots' });
  const wrong = await ctx.app.inject({ url: '/api/bots', headers: { authorization: 'Bearer adk_wrong' } });
  // 401 in the seed's error shape
  assert.is(none.statusCode, 401);
  assert.is(none.json().success, false);
  assert.is(wrong.statusCode, 401);
});

test('POST /api/bots/validate answers valid with the public widget key for a good token', async (ctx) => {
  const { user } = await createOwner(ctx.db);
  const { bot, token } = await createBotFor(ctx.db, user.id, { name: 'Valid' });
  const response = await ctx.app.inject({ method: 'POST', url: '/api/bots/validate', headers: { 'x-bot-token': token } });
  // valid, with what the plugin needs and nothing secret
  assert.is(response.statusCode, 200);
  assert.is(response.json().valid, true);
  assert.is(response.json().bot.id, bot.id);
  assert.is(response.json().bot.widget_key, bot.widget_key);
  assert.not.match(response.body, token);
});

test('POST /api/bots/validate answers 401 for an unknown or missing token and 403 for a disabled bot', async (ctx) => {
  const { user } = await createOwner(ctx.db);
  const { bot, token } = await createBotFor(ctx.db, user.id);
  const unknown = await ctx.app.inject({ method: 'POST', url: '/api/bots/validate', headers: { 'x-bot-token': 'bot_nope' } });
  const missing = await ctx.app.inject({ method: 'POST', url: '/api/bots/validate' });
  await ctx.db.query('UPDATE bots SET is_active = false WHERE id = $1', [bot.id]);
  const disabled = await ctx.app.inject({ method: 'POST', url: '/api/bots/validate', headers: { 'x-bot-token': token } });
  // invalid tokens are 401 with valid:false
  assert.is(unknown.statusCode, 401);
  assert.is(unknown.json().valid, false);
  assert.is(missing.statusCode, 401);
  // a disabled bot is named as such
  assert.is(disabled.statusCode, 403);
  assert.match(disabled.json().message, /disabled/);
});

test('GET /api/bots/config/:widgetKey is public, cacheable and keyed by the widget key', async (ctx) => {
  const { user } = await createOwner(ctx.db);
  const { bot, token } = await createBotFor(ctx.db, user.id, { name: 'Widget', welcome_message: 'Hi there' });
  const response = await ctx.app.inject({ url: `/api/bots/config/${bot.widget_key}` });
  const byToken = await ctx.app.inject({ url: `/api/bots/config/${token}` });
  // the public config
  assert.is(response.statusCode, 200);
  assert.is(response.json().name, 'Widget');
  assert.is(response.json().welcome_message, 'Hi there');
  assert.match(String(response.headers['cache-control']), /public/);
  assert.is(response.headers['access-control-allow-origin'], '*');
  // the secret token is not a key to it
  assert.is(byToken.statusCode, 404);
});

test('healthz and readyz answer when the database is there', async (ctx) => {
  const health = await ctx.app.inject({ url: '/healthz' });
  const ready = await ctx.app.inject({ url: '/readyz' });
  // alive and ready
  assert.is(health.statusCode, 200);
  assert.is(ready.statusCode, 200);
  assert.is(ready.json().status, 'ready');
});

test('an unknown route is a JSON 404', async (ctx) => {
  const response = await ctx.app.inject({ url: '/api/nothing-here' });
  // in the seed's error shape
  assert.is(response.statusCode, 404);
  assert.is(response.json().success, false);
});

test.run();
