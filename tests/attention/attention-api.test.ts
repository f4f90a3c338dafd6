// Attention items where owners see them: GET /api/bots/:id, the list (and its filter), the bot page.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { buildTestApp, createBotFor, createClock, createOwner, heartbeatBody, postHeartbeat } from '../helpers/app.ts';
import { loggedIn } from '../helpers/dashboard.ts';

type Ctx = Awaited<ReturnType<typeof buildTestApp>>;
const test = suite<Ctx>('attention items in the API and on the bot page');

test.before(async (ctx) => {
  Object.assign(ctx, await buildTestApp({ clock: createClock(new Date('2026-12-04T12:00:00Z')), dashboard: { latestPluginVersion: '1.2.0' } }));
});
test.after(async (ctx) => {
  await ctx.app.close();
});

const healthy = {
  plugin_version: '1.2.0',
  wp_version: '6.1.9',
  php_version: '8.3.1',
  cron: { mode: 'wp-cron', overdue_events: 0, oldest_overdue_seconds: 0 },
  environment: 'production',
  multisite: false,
};

async function ownerWithBots(ctx: Ctx) {
  const owner = await createOwner(ctx.db);
  const ok = await createBotFor(ctx.db, owner.user.id, { name: 'Healthy site' });
  const bad = await createBotFor(ctx.db, owner.user.id, { name: 'Staging site' });
  await postHeartbeat(ctx.app, ok.token, heartbeatBody(healthy));
  await postHeartbeat(ctx.app, bad.token, heartbeatBody({ ...healthy, environment: 'staging', cron: { mode: 'disabled', overdue_events: 3, oldest_overdue_seconds: 7300 } }));
  return { owner, ok: ok.bot, bad: bad.bot };
}

const api = (ctx: Ctx, apiKey: string, url: string) => ctx.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${apiKey}` } });

test('GET /api/bots/:id carries the items that hold, each with kind, detail, next step and since', async (ctx) => {
  const { owner, ok, bad } = await ownerWithBots(ctx);
  const one = (await api(ctx, owner.apiKey, `/api/bots/${bad.id}`)).json();
  // cron disabled and not production, in the order of the kinds, dated at the heartbeat that first said so
  assert.equal(one.attention.map((item: { kind: string }) => item.kind), ['cron_disabled', 'not_production']);
  assert.is(one.attention[0].since, ctx.clock.now().toISOString());
  assert.match(one.attention[0].detail, /WP-Cron is turned off/);
  assert.match(one.attention[0].next_step, /system cron job/);
  assert.match(one.attention[1].detail, /"staging" environment/);
  // a healthy site has none
  assert.equal((await api(ctx, owner.apiKey, `/api/bots/${ok.id}`)).json().attention, []);
});

test('the list carries them too, and ?attention= keeps only the bots with such an item', async (ctx) => {
  const { owner, ok, bad } = await ownerWithBots(ctx);
  const all = (await api(ctx, owner.apiKey, '/api/bots')).json().bots;
  // every bot, each with its items
  assert.equal(all.map((b: { id: string; attention: unknown[] }) => [b.id, b.attention.length]), [[ok.id, 0], [bad.id, 2]]);
  const any = (await api(ctx, owner.apiKey, '/api/bots?attention=any')).json().bots;
  assert.equal(any.map((b: { id: string }) => b.id), [bad.id]);
  const kind = (await api(ctx, owner.apiKey, '/api/bots?attention=not_production')).json().bots;
  assert.equal(kind.map((b: { id: string }) => b.id), [bad.id]);
  const none = (await api(ctx, owner.apiKey, '/api/bots?attention=php_unsupported')).json().bots;
  assert.equal(none, []);
  const wrong = await api(ctx, owner.apiKey, '/api/bots?attention=everything');
  // an unknown kind is a 400 that names the parameter
  assert.is(wrong.statusCode, 400);
  assert.match(wrong.json().message, /attention/);
});

test('an older plugin is outdated against the release the service serves', async (ctx) => {
  const owner = await createOwner(ctx.db);
  const { bot, token } = await createBotFor(ctx.db, owner.user.id);
  // the 1.1.0 plugin's payload: the four fields only
  await postHeartbeat(ctx.app, token, heartbeatBody({ plugin_version: '1.1.0' }));
  const items = (await api(ctx, owner.apiKey, `/api/bots/${bot.id}`)).json().attention;
  assert.equal(items.map((item: { kind: string }) => item.kind), ['plugin_outdated']);
  assert.match(items[0].detail, /version 1\.1\.0; version 1\.2\.0 is available/);
});

test('the bot page shows a "Needs attention" card with each sentence and next step; a healthy bot has no card', async (ctx) => {
  const { owner, ok, bad } = await ownerWithBots(ctx);
  const browser = await loggedIn(ctx.app, owner.user.email, owner.password);
  const page = await browser.get(`/bots/${bad.id}`);
  // the card, with both items
  assert.match(page.body, /<h2>Needs attention<\/h2>/);
  assert.match(page.body, /data-kind="cron_disabled"/);
  assert.match(page.body, /data-kind="not_production"/);
  assert.match(page.body, /remove DISABLE_WP_CRON from wp-config\.php/);
  const calm = await browser.get(`/bots/${ok.id}`);
  // nothing to say, no card
  assert.not.match(calm.body, /Needs attention/);
});

test('the dashboard\'s bot list filters by attention too, and ignores a kind it does not know', async (ctx) => {
  const { owner } = await ownerWithBots(ctx);
  const browser = await loggedIn(ctx.app, owner.user.email, owner.password);
  const names = (body: string) => [...body.matchAll(/<a href="\/bots\/[0-9a-f-]+">([^<]+)<\/a>/g)].map((m) => m[1]);
  // the filter is offered with every kind
  const page = await browser.get('/bots');
  assert.match(page.body, '<select name="attention">');
  assert.match(page.body, '<option value="not_production">Not a production site</option>');
  // any item: only the staging site; and the choice is kept selected
  const any = await browser.get('/bots?attention=any');
  assert.equal(names(any.body), ['Staging site']);
  assert.match(any.body, '<option value="any" selected>');
  // one kind: the htmx fragment answers the same
  const fragment = await browser.get('/bots/list?attention=cron_disabled', { 'hx-request': 'true' });
  assert.equal(names(fragment.body), ['Staging site']);
  // a kind no bot has: nobody
  assert.equal(names((await browser.get('/bots?attention=php_unsupported')).body), []);
  // an unknown value is ignored, as the list's other filters do: both sites
  assert.equal(names((await browser.get('/bots?attention=bogus')).body).sort(), ['Healthy site', 'Staging site']);
});

test('a 1.2 heartbeat is answered with its items and the release served; a 1.1 body keeps the seed\'s answer', async (ctx) => {
  const owner = await createOwner(ctx.db);
  const { token } = await createBotFor(ctx.db, owner.user.id, { name: 'Told' });
  const answer = await postHeartbeat(ctx.app, token, heartbeatBody({ ...healthy, plugin_version: '1.1.0', environment: 'staging' }));
  assert.is(answer.statusCode, 200);
  const json = answer.json();
  assert.equal([json.success, json.message], [true, 'WordPress connection updated successfully']);
  // what the plugin shows in Site Health, its settings page and wp agentdesk status
  assert.equal(json.attention.map((item: { kind: string }) => item.kind), ['plugin_outdated', 'not_production']);
  assert.match(json.attention[0].detail, /version 1\.1\.0; version 1\.2\.0 is available/);
  assert.ok(json.attention.every((item: { next_step: string }) => item.next_step.length > 0));
  assert.is(json.latest_plugin_version, '1.2.0');
  // a healthy 1.2 site: an empty list, still with the release
  const healthyAnswer = (await postHeartbeat(ctx.app, token, heartbeatBody(healthy))).json();
  assert.equal([healthyAnswer.attention, healthyAnswer.latest_plugin_version], [[], '1.2.0']);
  // the four fields of 1.1: the seed's body, to the byte
  const old = await postHeartbeat(ctx.app, token, { site_url: 'https://shop.example.com', plugin_version: '1.1.0', wp_version: '6.1.1', is_active: true });
  assert.is(old.body, '{"success":true,"message":"WordPress connection updated successfully"}');
});

test.run();
