import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { buildTestApp, createBotFor, createOwner, heartbeatBody } from '../helpers/app.ts';
import { listConnectionEvents, findOwnedBot } from '../../src/db/bots.ts';

type Ctx = Awaited<ReturnType<typeof buildTestApp>>;
const test = suite<Ctx>('heartbeat endpoint');

test.before(async (ctx) => {
  Object.assign(ctx, await buildTestApp());
});
test.after(async (ctx) => {
  await ctx.app.close();
});

const send = (ctx: Ctx, token: string | undefined, body: unknown, headers: Record<string, string> = {}) =>
  ctx.app.inject({
    method: 'POST',
    url: '/api/bots/wordpress-heartbeat',
    headers: { 'content-type': 'application/json', ...(token ? { 'x-bot-token': token } : {}), ...headers },
    payload: typeof body === 'string' ? body : JSON.stringify(body),
  });

test('accepts a heartbeat and marks the bot connected with its site and versions', async (ctx) => {
  const { user } = await createOwner(ctx.db);
  const { bot, token } = await createBotFor(ctx.db, user.id);
  const response = await send(ctx, token, heartbeatBody());
  // the seed's success body
  assert.is(response.statusCode, 200);
  assert.equal(response.json(), { success: true, message: 'WordPress connection updated successfully' });
  const stored = await findOwnedBot(ctx.db, user.id, bot.id);
  assert.is(stored?.connection_status, 'connected');
  assert.is(stored?.wordpress_connected, true);
  assert.is(stored?.wordpress_site_url, 'https://shop.example.com');
  assert.is(stored?.wordpress_wp_version, '6.1.1');
});

test('writes one status event for never→connected, none for a repeat heartbeat', async (ctx) => {
  const { user } = await createOwner(ctx.db);
  const { bot, token } = await createBotFor(ctx.db, user.id);
  await send(ctx, token, heartbeatBody());
  await send(ctx, token, heartbeatBody());
  const events = await listConnectionEvents(ctx.db, bot.id);
  assert.equal(events.map((e) => [e.from_status, e.to_status]), [['never', 'connected']]);
});

test('rejects malformed JSON with 400 and the seed error shape', async (ctx) => {
  const { user } = await createOwner(ctx.db);
  const { token } = await createBotFor(ctx.db, user.id);
  const response = await send(ctx, token, '{"site_url":');
  assert.is(response.statusCode, 400);
  assert.is(response.json().success, false);
});

test.run();
