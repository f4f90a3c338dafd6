// An owner's clients through the API: create, list, rename, delete; sites under a client; bulk
// actions on its sites; the client's uptime report; and another owner never reaching any of it.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { buildTestApp, createBotFor, createOwner, postHeartbeat } from '../helpers/app.ts';

type Ctx = Awaited<ReturnType<typeof buildTestApp>>;
const test = suite<Ctx>('clients');

test.before(async (ctx) => {
  Object.assign(ctx, await buildTestApp({ env: { MAX_CLIENTS_PER_OWNER: '3' } }));
});
test.after(async (ctx) => {
  await ctx.app.close();
});

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';
const call = (ctx: Ctx, apiKey: string, method: Method, url: string, body?: unknown) =>
  ctx.app.inject({
    method,
    url,
    headers: { authorization: `Bearer ${apiKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    payload: body === undefined ? undefined : JSON.stringify(body),
  });

async function ownerWithClient(ctx: Ctx) {
  const owner = await createOwner(ctx.db);
  const created = await call(ctx, owner.apiKey, 'POST', '/api/clients', { name: '  Bakery Ltd ' });
  assert.is(created.statusCode, 201, created.body);
  const client = created.json();
  const shop = (await createBotFor(ctx.db, owner.user.id, { name: 'Bakery shop' })).bot;
  const blog = (await createBotFor(ctx.db, owner.user.id, { name: 'Bakery blog' })).bot;
  const other = (await createBotFor(ctx.db, owner.user.id, { name: 'Someone else' })).bot;
  for (const bot of [shop, blog]) assert.is((await call(ctx, owner.apiKey, 'PUT', `/api/bots/${bot.id}`, { client_id: client.id })).statusCode, 200);
  return { owner, client, shop, blog, other };
}

test('a client is created, read, listed a page at a time, renamed and deleted, its sites kept', async (ctx) => {
  const { owner, client, shop } = await ownerWithClient(ctx);
  assert.is(client.name, 'Bakery Ltd');
  assert.is((await call(ctx, owner.apiKey, 'GET', `/api/clients/${client.id}`)).json().bot_count, 2);
  for (const name of ['Florist', 'Garage']) {
    ctx.clock.advance(1000);
    await call(ctx, owner.apiKey, 'POST', '/api/clients', { name });
  }
  const first = (await call(ctx, owner.apiKey, 'GET', '/api/clients?limit=2')).json();
  const second = (await call(ctx, owner.apiKey, 'GET', `/api/clients?limit=2&cursor=${first.next_cursor}`)).json();
  assert.equal([...first.clients, ...second.clients].map((c: { name: string }) => c.name), ['Bakery Ltd', 'Florist', 'Garage']);
  assert.is(second.next_cursor, null);
  // the limit of MAX_CLIENTS_PER_OWNER, with the setting named
  const fourth = await call(ctx, owner.apiKey, 'POST', '/api/clients', { name: 'One too many' });
  assert.is(fourth.statusCode, 403);
  assert.match(fourth.json().message, /MAX_CLIENTS_PER_OWNER/);
  const renamed = await call(ctx, owner.apiKey, 'PUT', `/api/clients/${client.id}`, { name: 'Bakery & Sons' });
  assert.is(renamed.json().name, 'Bakery & Sons');
  for (const bad of [{ name: '' }, { name: 'x'.repeat(101) }, { name: 'tab\there' }, {}]) {
    const response = await call(ctx, owner.apiKey, 'PUT', `/api/clients/${client.id}`, bad);
    assert.is(response.statusCode, 400, JSON.stringify(bad));
    assert.match(response.json().message, /name/);
  }
  assert.is((await call(ctx, owner.apiKey, 'DELETE', `/api/clients/${client.id}`)).statusCode, 200);
  assert.is((await call(ctx, owner.apiKey, 'GET', `/api/clients/${client.id}`)).statusCode, 404);
  // the site stays, without a client
  const kept = await call(ctx, owner.apiKey, 'GET', `/api/bots/${shop.id}`);
  assert.is(kept.statusCode, 200);
  assert.is(kept.json().client_id, null);
});

test('sites go under a client and out again, and the list filters by client', async (ctx) => {
  const { owner, client, shop, blog, other } = await ownerWithClient(ctx);
  const listed = (await call(ctx, owner.apiKey, 'GET', `/api/bots?client_id=${client.id}`)).json().bots;
  assert.equal(listed.map((b: { id: string }) => b.id), [shop.id, blog.id]);
  assert.ok(listed.every((b: { client_id: string }) => b.client_id === client.id));
  const out = await call(ctx, owner.apiKey, 'PUT', `/api/bots/${blog.id}`, { client_id: null });
  assert.is(out.json().client_id, null);
  assert.equal((await call(ctx, owner.apiKey, 'GET', `/api/bots?client_id=${client.id}`)).json().bots.map((b: { id: string }) => b.id), [shop.id]);
  const bad = await call(ctx, owner.apiKey, 'PUT', `/api/bots/${other.id}`, { client_id: 'not-a-uuid' });
  assert.is(bad.statusCode, 400);
  assert.match(bad.json().message, /client_id/);
});

test("bulk actions change exactly the client's sites and say how many", async (ctx) => {
  const { owner, client, shop, blog, other } = await ownerWithClient(ctx);
  const opened = await call(ctx, owner.apiKey, 'POST', `/api/clients/${client.id}/maintenance`, { minutes: 60, reason: 'theme update' });
  assert.is(opened.statusCode, 200, opened.body);
  assert.is(opened.json().changed, 2);
  const inMaintenance = async (id: string) => (await call(ctx, owner.apiKey, 'GET', `/api/bots/${id}`)).json().maintenance_until !== null;
  assert.equal([await inMaintenance(shop.id), await inMaintenance(blog.id), await inMaintenance(other.id)], [true, true, false]);
  assert.is((await call(ctx, owner.apiKey, 'DELETE', `/api/clients/${client.id}/maintenance`)).json().changed, 2);
  assert.equal([await inMaintenance(shop.id), await inMaintenance(blog.id)], [false, false]);
  const until = new Date(Date.now() + 3_600_000).toISOString();
  assert.is((await call(ctx, owner.apiKey, 'POST', `/api/clients/${client.id}/mute`, { muted_until: until })).json().changed, 2);
  const muted = async (id: string) => (await call(ctx, owner.apiKey, 'GET', `/api/bots/${id}`)).json().muted_until;
  assert.equal([await muted(shop.id), await muted(blog.id), await muted(other.id)], [until, until, null]);
  const badMinutes = await call(ctx, owner.apiKey, 'POST', `/api/clients/${client.id}/maintenance`, { minutes: 0 });
  assert.is(badMinutes.statusCode, 400);
});

test("a channel chosen for a client covers its sites as well, and says how many channels changed", async (ctx) => {
  const { owner, client, shop, blog, other } = await ownerWithClient(ctx);
  const hook = (await call(ctx, owner.apiKey, 'POST', '/api/channels', { kind: 'webhook', name: 'Ops hook', target: 'https://hooks.example.com/x', bots: [other.id] })).json();
  assert.equal(hook.channel.bots, [other.id]);
  const account = (await call(ctx, owner.apiKey, 'GET', '/api/channels')).json().channels.find((c: { is_account: boolean }) => c.is_account);
  const covered = await call(ctx, owner.apiKey, 'POST', `/api/clients/${client.id}/channels`, { channel_ids: [hook.channel.id, account.id] });
  assert.is(covered.statusCode, 200, covered.body);
  // the hook changed; the account email covers all sites already
  assert.is(covered.json().changed, 1);
  const after = (await call(ctx, owner.apiKey, 'GET', `/api/channels/${hook.channel.id}`)).json();
  assert.equal([...after.bots].sort(), [other.id, shop.id, blog.id].sort());
  // again: nothing left to change
  assert.is((await call(ctx, owner.apiKey, 'POST', `/api/clients/${client.id}/channels`, { channel_ids: [hook.channel.id] })).json().changed, 0);
});

test("another owner's client is a 404 on every route, and cannot take their sites", async (ctx) => {
  const { client, shop } = await ownerWithClient(ctx);
  const stranger = await createOwner(ctx.db);
  const strangerBot = (await createBotFor(ctx.db, stranger.user.id)).bot;
  for (const [method, url, body] of [
    ['GET', `/api/clients/${client.id}`],
    ['PUT', `/api/clients/${client.id}`, { name: 'Mine now' }],
    ['DELETE', `/api/clients/${client.id}`],
    ['POST', `/api/clients/${client.id}/status-page`, {}],
    ['DELETE', `/api/clients/${client.id}/status-page`],
    ['POST', `/api/clients/${client.id}/maintenance`, { minutes: 30 }],
    ['DELETE', `/api/clients/${client.id}/maintenance`],
    ['POST', `/api/clients/${client.id}/mute`, { muted_until: null }],
    ['POST', `/api/clients/${client.id}/channels`, { channel_ids: ['00000000-0000-4000-8000-000000000000'] }],
    ['GET', `/api/reports/uptime?month=2026-11&client_id=${client.id}`],
  ] as Array<[Method, string, unknown?]>) {
    const response = await call(ctx, stranger.apiKey, method, url, body);
    assert.is(response.statusCode, 404, `${method} ${url}`);
  }
  // putting their own site under someone else's client: that client is not theirs
  const joined = await call(ctx, stranger.apiKey, 'PUT', `/api/bots/${strangerBot.id}`, { client_id: client.id });
  assert.is(joined.statusCode, 404);
  assert.match(joined.json().message, /Client not found/);
  // and their list filtered by it is empty
  assert.equal((await call(ctx, stranger.apiKey, 'GET', `/api/bots?client_id=${client.id}`)).json().bots, []);
  assert.is((await call(ctx, stranger.apiKey, 'GET', `/api/bots/${shop.id}`)).statusCode, 404);
});

test("a client's uptime report holds its sites only", async (ctx) => {
  const { owner, client, shop } = await ownerWithClient(ctx);
  const { token } = await createBotFor(ctx.db, owner.user.id, { name: 'Connected elsewhere' });
  await postHeartbeat(ctx.app, token);
  const month = new Date().toISOString().slice(0, 7);
  const report = (await call(ctx, owner.apiKey, 'GET', `/api/reports/uptime?month=${month}&client_id=${client.id}`)).json();
  assert.equal(report.sites.map((site: { name: string }) => site.name), ['Bakery shop', 'Bakery blog']);
  assert.ok(report.sites.some((site: { bot_id: string }) => site.bot_id === shop.id));
});

test.run();
