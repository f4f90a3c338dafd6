import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { buildTestApp, createBotFor, createOwner } from '../helpers/app.ts';
import { loggedIn, type Browser } from '../helpers/dashboard.ts';
import { findOwnedBot } from '../../src/db/bots.ts';

type Ctx = Awaited<ReturnType<typeof buildTestApp>> & { a: Browser; aKey: string; bBotId: string; bUserId: string; bToken: string };
const test = suite<Ctx>('owner isolation');

const MISSING = '00000000-0000-4000-8000-000000000000';

test.before(async (ctx) => {
  Object.assign(ctx, await buildTestApp());
  const a = await createOwner(ctx.db);
  const b = await createOwner(ctx.db);
  const { bot, token } = await createBotFor(ctx.db, b.user.id, { name: 'B private bot' });
  ctx.a = await loggedIn(ctx.app, a.user.email, a.password);
  ctx.aKey = a.apiKey;
  ctx.bBotId = bot.id;
  ctx.bUserId = b.user.id;
  ctx.bToken = token;
});
test.after(async (ctx) => {
  await ctx.app.close();
});

const PAGE_GETS = ['/bots/:id', '/bots/:id/status', '/bots/:id/activity', '/bots/:id/edit', '/bots/:id/delete'];
const PAGE_POSTS: Array<[string, Record<string, string>]> = [
  ['/bots/:id/edit', { name: 'taken over' }],
  ['/bots/:id/delete', {}],
  ['/bots/:id/rotate-token', {}],
  ['/bots/:id/mute', { duration: '24h' }],
  ['/bots/:id/grace', { stale_grace_minutes: '5' }],
];

test("every dashboard page and fragment of another owner's bot is the same 404 as a missing bot", async (ctx) => {
  for (const path of PAGE_GETS) {
    const theirs = await ctx.a.get(path.replace(':id', ctx.bBotId));
    const missing = await ctx.a.get(path.replace(':id', MISSING));
    // 404, never 403, for GET path
    assert.is(theirs.statusCode, 404, `GET ${path}`);
    // indistinguishable from a bot that does not exist (CSRF tokens in the page differ, so compare without them)
    const strip = (html: string) => html.replace(/[A-Za-z0-9_-]{40,}/g, 'TOKEN');
    assert.is(strip(theirs.body), strip(missing.body), `GET ${path}`);
    // the bot's name never appears
    assert.not.ok(theirs.body.includes('B private bot'));
  }
});

test("every dashboard action on another owner's bot is a 404 and changes nothing", async (ctx) => {
  for (const [path, form] of PAGE_POSTS) {
    const response = await ctx.a.post(path.replace(':id', ctx.bBotId), form);
    // 404 for POST path
    assert.is(response.statusCode, 404, `POST ${path}`);
  }
  const bot = await findOwnedBot(ctx.db, ctx.bUserId, ctx.bBotId);
  // still there, unchanged: same name, not muted, no grace, same token
  assert.is(bot?.name, 'B private bot');
  assert.is(bot?.muted_until, null);
  assert.is(bot?.stale_grace_seconds, 0);
  const validate = await ctx.app.inject({ method: 'POST', url: '/api/bots/validate', headers: { 'x-bot-token': ctx.bToken } });
  // the owner's token still works (it was not rotated)
  assert.is(validate.statusCode, 200);
});

test("every API route on another owner's bot is the same 404 as a missing bot, by key and by session", async (ctx) => {
  const calls: Array<['GET' | 'PUT' | 'DELETE' | 'POST', string, unknown]> = [
    ['GET', '/api/bots/:id', undefined],
    ['PUT', '/api/bots/:id', { name: 'taken over' }],
    ['DELETE', '/api/bots/:id', undefined],
    ['POST', '/api/bots/:id/rotate-token', undefined],
  ];
  for (const [method, path, body] of calls) {
    for (const id of [ctx.bBotId, MISSING]) {
      const byKey = await ctx.app.inject({
        method,
        url: path.replace(':id', id),
        headers: { authorization: `Bearer ${ctx.aKey}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        payload: body ? JSON.stringify(body) : undefined,
      });
      // 404 with the seed's error body, by API key
      assert.is(byKey.statusCode, 404, `${method} ${path} by key`);
      assert.equal(byKey.json(), { success: false, message: 'Bot not found' });
      const bySession = await ctx.a.api(method, path.replace(':id', id), body, { 'x-csrf-token': ctx.a.csrf! });
      // the same by session cookie
      assert.is(bySession.statusCode, 404, `${method} ${path} by session`);
      assert.equal(bySession.json(), { success: false, message: 'Bot not found' });
    }
  }
  const list = await ctx.app.inject({ method: 'GET', url: '/api/bots', headers: { authorization: `Bearer ${ctx.aKey}` } });
  // B's bot is not in A's list
  assert.not.ok(list.json().bots.some((bot: { id: string }) => bot.id === ctx.bBotId));
  const page = await ctx.a.get('/bots');
  // nor on A's dashboard list
  assert.not.ok(page.body.includes(ctx.bBotId));
});

test.run();
