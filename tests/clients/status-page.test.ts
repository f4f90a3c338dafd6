// A client's public status page, its badge and its JSON: what they show, what they never show,
// and that a revoked link is gone for all three.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { buildTestApp, createBotFor, createOwner, postHeartbeat } from '../helpers/app.ts';

type Ctx = Awaited<ReturnType<typeof buildTestApp>>;
const test = suite<Ctx>('client status pages');

test.before(async (ctx) => {
  Object.assign(ctx, await buildTestApp());
});
test.after(async (ctx) => {
  await ctx.app.close();
});

const api = (ctx: Ctx, apiKey: string, method: 'POST' | 'PUT' | 'DELETE', url: string, body?: unknown) =>
  ctx.app.inject({
    method,
    url,
    headers: { authorization: `Bearer ${apiKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    payload: body === undefined ? undefined : JSON.stringify(body),
  });
const open = (ctx: Ctx, url: string) => ctx.app.inject({ method: 'GET', url: new URL(url).pathname });

async function clientWithSites(ctx: Ctx, showUrls = false) {
  const owner = await createOwner(ctx.db);
  const client = (await api(ctx, owner.apiKey, 'POST', '/api/clients', { name: 'Bakery Ltd' })).json();
  const up = await createBotFor(ctx.db, owner.user.id, { name: 'Bakery shop' });
  const down = await createBotFor(ctx.db, owner.user.id, { name: 'Bakery blog' });
  const elsewhere = await createBotFor(ctx.db, owner.user.id, { name: 'Another client’s site' });
  for (const site of [up, down]) await api(ctx, owner.apiKey, 'PUT', `/api/bots/${site.bot.id}`, { client_id: client.id });
  for (const site of [up, down, elsewhere]) await postHeartbeat(ctx.app, site.token, { site_url: `https://${site.bot.id}.example`, plugin_version: '1.2.0', wp_version: '6.7', is_active: true });
  // the blog went stale an hour ago and the probe found the website itself down
  await ctx.db.query(
    "UPDATE bots SET connection_status = 'stale', wordpress_connected = false, diagnosis = 'site_down' WHERE id = $1",
    [down.bot.id],
  );
  await ctx.db.query("UPDATE bot_liveness SET last_activity = now() - interval '1 hour' WHERE bot_id = $1", [down.bot.id]);
  const links = await api(ctx, owner.apiKey, 'POST', `/api/clients/${client.id}/status-page`, showUrls ? { show_urls: true } : undefined);
  assert.is(links.statusCode, 201, links.body);
  return { owner, client, up, down, elsewhere, links: links.json() as { url: string; badge_url: string; json_url: string } };
}

test("the page shows each site's state in words, the incident with our diagnosis, and nothing private", async (ctx) => {
  const { owner, up, down, elsewhere, links } = await clientWithSites(ctx);
  assert.match(links.url, /\/status\/stp_[A-Za-z0-9_-]{43}$/);
  const page = await open(ctx, links.url);
  assert.is(page.statusCode, 200);
  assert.is(page.headers['cache-control'], 'public, max-age=60');
  assert.is(page.headers['x-robots-tag'], 'noindex');
  assert.is(page.headers['set-cookie'], undefined);
  assert.match(page.body, /<meta name="robots" content="noindex">/);
  assert.match(page.body, /Some sites are down/);
  assert.match(page.body, /Bakery shop/);
  assert.match(page.body, /Operational/);
  assert.match(page.body, /<strong>Bakery blog<\/strong> is down since .*: the website itself is not answering/);
  // 90 daily bars per site, refreshed by htmx every minute, readable without it
  assert.is((page.body.match(/class="bar bar-/g) ?? []).length, 2 * 90);
  assert.match(page.body, /hx-get="\/status\/stp_[^"]+\/sites" hx-trigger="every 60s"/);
  // never: another client's site, the owner's email, a token, the sites' addresses
  assert.not.match(page.body, /Another client/);
  assert.not.ok(page.body.includes(owner.user.email));
  for (const site of [up, down, elsewhere]) {
    assert.not.ok(page.body.includes(site.token));
    assert.not.ok(page.body.includes(`${site.bot.id}.example`));
  }
  const fragment = await open(ctx, `${links.url}/sites`);
  assert.is(fragment.statusCode, 200);
  assert.not.match(fragment.body, /<html/);
});

test('the badge and the JSON say the same, and addresses show only when the owner allows it', async (ctx) => {
  const { up, down, links } = await clientWithSites(ctx, true);
  const badge = await open(ctx, links.badge_url);
  assert.is(badge.statusCode, 200);
  assert.match(badge.headers['content-type'] as string, /^image\/svg\+xml/);
  assert.match(badge.body, /<title>status: down<\/title>/);
  const json = (await open(ctx, links.json_url)).json();
  assert.is(json.status, 'down');
  assert.equal(
    json.sites.map((s: { name: string; status: string; url: string }) => [s.name, s.status, s.url]),
    [
      ['Bakery shop', 'up', `https://${up.bot.id}.example`],
      ['Bakery blog', 'down', `https://${down.bot.id}.example`],
    ],
  );
  // the blog comes back: the badge turns up
  await postHeartbeat(ctx.app, down.token, { site_url: `https://${down.bot.id}.example`, plugin_version: '1.2.0', wp_version: '6.7', is_active: true });
  assert.match((await open(ctx, links.badge_url)).body, /<title>status: up<\/title>/);
});

test('a revoked link is a 404 for the page, the badge and the JSON; a new link works and the old stays dead', async (ctx) => {
  const { owner, client, links } = await clientWithSites(ctx);
  assert.is((await api(ctx, owner.apiKey, 'DELETE', `/api/clients/${client.id}/status-page`)).statusCode, 200);
  for (const url of [links.url, links.badge_url, links.json_url]) assert.is((await open(ctx, url)).statusCode, 404, url);
  const renewed = (await api(ctx, owner.apiKey, 'POST', `/api/clients/${client.id}/status-page`, {})).json();
  assert.is((await open(ctx, renewed.url)).statusCode, 200);
  assert.is((await open(ctx, links.url)).statusCode, 404);
  // a key of the wrong shape or unknown: the same 404
  assert.is((await ctx.app.inject({ method: 'GET', url: '/status/stp_' + 'A'.repeat(43) })).statusCode, 404);
  assert.is((await ctx.app.inject({ method: 'GET', url: '/status/nonsense/badge.svg' })).statusCode, 404);
});

test.run();
