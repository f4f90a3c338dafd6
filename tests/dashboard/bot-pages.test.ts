import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { buildTestApp, createBotFor, createClock, createOwner, heartbeatBody, postHeartbeat } from '../helpers/app.ts';
import { loggedIn, type Browser } from '../helpers/dashboard.ts';
import { findOwnedBot, listConnectionEvents } from '../../src/db/bots.ts';

type Ctx = Awaited<ReturnType<typeof buildTestApp>> & { owner: Awaited<ReturnType<typeof createOwner>>; b: Browser };
const test = suite<Ctx>('dashboard bot pages');

test.before(async (ctx) => {
  Object.assign(ctx, await buildTestApp({ clock: createClock(new Date('2026-11-25T12:00:00Z')) }));
});
test.before.each(async (ctx) => {
  ctx.owner = await createOwner(ctx.db, { timezone: 'Europe/Paris' });
  ctx.b = await loggedIn(ctx.app, ctx.owner.user.email, ctx.owner.password);
});
test.after(async (ctx) => {
  await ctx.app.close();
});

const heartbeat = (ctx: Ctx, token: string, body: Record<string, unknown> = {}) => postHeartbeat(ctx.app, token, heartbeatBody(body));

const idOf = (html: string) => /\/bots\/([0-9a-f-]{36})/.exec(html)?.[1];

test('creating a bot shows its token once, with the setup steps, and the token works for heartbeats', async (ctx) => {
  await ctx.b.get('/bots/new');
  const created = await ctx.b.post('/bots', { name: 'Shop bot', language: 'fr', welcome_message: 'Bonjour' });
  // 201 with the full token on the page
  assert.is(created.statusCode, 201);
  const token = /<code id="bot-token" class="token">(bot_[A-Za-z0-9_-]+)<\/code>/.exec(created.body)?.[1];
  assert.ok(token);
  // the setup steps: download the plugin, paste the token
  assert.match(created.body, /Download the AgentDesk WordPress plugin/);
  // never cached
  assert.is(created.headers['cache-control'], 'no-store');
  const id = idOf(created.body)!;
  // the token authenticates the plugin
  assert.is((await heartbeat(ctx, token!)).statusCode, 200);
  const page = await ctx.b.get(`/bots/${id}`);
  // and is never shown again: the bot page has only its prefix
  assert.not.ok(page.body.includes(token!));
  assert.ok(page.body.includes(token!.slice(0, 10)));
});

test('an invalid bot form comes back with the message and the typed values', async (ctx) => {
  await ctx.b.get('/bots/new');
  const response = await ctx.b.post('/bots', { name: 'Bad', language: 'not a language!' });
  // 400 and the form again
  assert.is(response.statusCode, 400);
  assert.match(response.body, /language must be a language code/);
  assert.match(response.body, /value="Bad"/);
});

test('the list shows badge, site, plugin version and last sync with the exact time in the owner zone', async (ctx) => {
  const { token } = await createBotFor(ctx.db, ctx.owner.user.id, { name: 'Listed bot' });
  await createBotFor(ctx.db, ctx.owner.user.id, { name: 'Quiet bot' });
  await heartbeat(ctx, token, { plugin_version: '1.2.3' });
  ctx.clock.advance(3 * 60_000);
  const page = await ctx.b.get('/bots');
  // a connected bot: badge, clickable site, plugin version, "3 minutes ago" with the Paris time on hover
  assert.match(page.body, /data-status="connected">✅ Connected/);
  assert.match(page.body, /<a href="https:\/\/shop\.example\.com\/" rel="noopener noreferrer nofollow" target="_blank">https:\/\/shop\.example\.com<\/a>/);
  assert.match(page.body, /<td>1\.2\.3<\/td>/);
  assert.match(page.body, /<time datetime="2026-11-25T12:0\d:00\.000Z" title="25 Nov 2026, 13:0\d:00 CET">3 minutes ago<\/time>/);
  // the quiet one is not connected
  assert.match(page.body, /data-status="never">⚪ Not connected/);
  // the list polls its fragment
  assert.match(page.body, /id="bot-list" hx-get="\/bots\/list" hx-trigger="every 30s" hx-swap="outerHTML"/);
});

test('the list filters by status, searches by name or site, and pages', async (ctx) => {
  const { token } = await createBotFor(ctx.db, ctx.owner.user.id, { name: 'Alpha' });
  await heartbeat(ctx, token, { site_url: 'https://alpha-site.example' });
  for (let i = 0; i < 21; i++) await createBotFor(ctx.db, ctx.owner.user.id, { name: `Filler ${i}` });
  const connected = await ctx.b.get('/bots/list?status=connected');
  // only the connected bot
  assert.match(connected.body, />Alpha</);
  assert.not.match(connected.body, /Filler/);
  const bySite = await ctx.b.get('/bots/list?q=ALPHA-SITE');
  // search matches the site URL, case-insensitively
  assert.match(bySite.body, />Alpha</);
  assert.not.match(bySite.body, /Filler/);
  const byName = await ctx.b.get('/bots/list?q=filler%201');
  // and the name (Filler 1, 10–19)
  assert.match(byName.body, /11 bots/);
  const first = await ctx.b.get('/bots');
  // 22 bots: two pages of 20
  assert.match(first.body, /Page 1 of 2 · 22 bots/);
  assert.match(first.body, /href="\/bots\?page&#x3D;2"/);
  const second = await ctx.b.get('/bots?page=2');
  assert.is((second.body.match(/data-bot-id=/g) ?? []).length, 2);
  const fragment = await ctx.b.get('/bots/list?status=never&q=Filler', { 'hx-request': 'true' });
  // the fragment has no layout and keeps the filter in its polling URL
  assert.not.match(fragment.body, /<html/);
  assert.match(fragment.body, /hx-get="\/bots\/list\?status&#x3D;never&amp;q&#x3D;Filler"/);
});

test('the bot page of a connected bot shows the WordPress integration, chart and events', async (ctx) => {
  const { bot, token } = await createBotFor(ctx.db, ctx.owner.user.id, { name: 'Page bot', personality: 'Friendly' });
  await heartbeat(ctx, token, { site_url: 'https://blog.example.org', plugin_version: '1.1.0', wp_version: '6.4.2' });
  ctx.clock.advance(5 * 60_000);
  await heartbeat(ctx, token, { site_url: 'https://blog.example.org', plugin_version: '1.1.0', wp_version: '6.4.2' });
  const page = await ctx.b.get(`/bots/${bot.id}`);
  // titled with the bot's name
  assert.match(page.body, /<title>Page bot · AgentDesk<\/title>/);
  // the configuration card
  assert.match(page.body, /<dt>Language<\/dt><dd>en<\/dd>/);
  assert.match(page.body, /<dt>Personality<\/dt><dd class="pre">Friendly<\/dd>/);
  // the WordPress integration: badge, link, versions, last sync
  assert.match(page.body, /WordPress Integration <span class="badge badge-connected"/);
  assert.match(page.body, /href="https:\/\/blog\.example\.org\/"/);
  assert.match(page.body, /<dt>WordPress version<\/dt><dd>6\.4\.2<\/dd>/);
  assert.match(page.body, /<dt>Last sync<\/dt><dd><time/);
  // two heartbeats in the chart
  assert.match(page.body, /<svg class="heartbeat-chart"[^>]*aria-label="Heartbeats per hour over the last 7 days: 2 in total"/);
  // the never → connected event
  assert.match(page.body, /Not connected → Connected/);
  // the status card polls itself
  assert.match(page.body, new RegExp(`id="bot-status" hx-get="/bots/${bot.id}/status" hx-trigger="every 30s"`));
});

test('the activity fragment polls itself and shows a new heartbeat and its event without a reload', async (ctx) => {
  const { bot, token } = await createBotFor(ctx.db, ctx.owner.user.id, { name: 'Activity bot' });
  const before = await ctx.b.get(`/bots/${bot.id}`);
  // the page embeds the activity block, polling its own fragment
  assert.match(before.body, new RegExp(`id="bot-activity" hx-get="/bots/${bot.id}/activity" hx-trigger="every 30s"`));
  assert.match(before.body, /No connection event yet/);
  await heartbeat(ctx, token);
  const fragment = await ctx.b.get(`/bots/${bot.id}/activity`);
  // a fragment (no layout) with the heartbeat counted and the never → connected event
  assert.is(fragment.statusCode, 200);
  assert.not.match(fragment.body, /<html/);
  assert.match(fragment.body, /aria-label="Heartbeats per hour over the last 7 days: 1 in total"/);
  assert.match(fragment.body, /Not connected → Connected/);
  // the chart caption names the owner's time zone
  assert.match(fragment.body, /by hour \(Europe\/Paris\)/);
});

test('a bot that never connected shows the setup help; stale and deactivated are shown as such', async (ctx) => {
  const { bot, token } = await createBotFor(ctx.db, ctx.owner.user.id);
  const never = await ctx.b.get(`/bots/${bot.id}/status`, { 'hx-request': 'true' });
  // ⚪ badge, help and the setup steps with action buttons
  assert.match(never.body, /⚪ Not connected/);
  assert.match(never.body, /not connected to a WordPress site yet/);
  assert.match(never.body, /class="button" href="\/api\/wordpress\/plugin\/download"/);
  await heartbeat(ctx, token, { is_active: false });
  const deactivated = await ctx.b.get(`/bots/${bot.id}/status`, { 'hx-request': 'true' });
  // ⏸ deactivated
  assert.match(deactivated.body, /⏸ Plugin deactivated/);
  await ctx.db.query("UPDATE bots SET connection_status = 'stale' WHERE id = $1", [bot.id]);
  const stale = await ctx.b.get(`/bots/${bot.id}/status`, { 'hx-request': 'true' });
  // 🟠 stale, with what to check
  assert.match(stale.body, /🟠 Stale/);
  assert.match(stale.body, /WP-Cron/);
});

test('a stale bot shows its diagnosis with the next steps; a site a nudge woke gets the real-cron advice', async (ctx) => {
  const { bot, token } = await createBotFor(ctx.db, ctx.owner.user.id);
  await heartbeat(ctx, token, { site_url: 'https://quiet.example.com/' });
  await ctx.db.query('UPDATE bots SET probe_woke_at = $2 WHERE id = $1', [bot.id, new Date('2026-11-25T11:00:00Z')]);
  const woke = await ctx.b.get(`/bots/${bot.id}/status`, { 'hx-request': 'true' });
  // within its threshold: not being checked
  assert.not.match(woke.body, 'id="bot-checking"');
  // connected, with why heartbeats are uneven and the cron line for this site
  assert.match(woke.body, /✅ Connected/);
  assert.match(woke.body, /its WP-Cron runs only when someone visits/);
  assert.match(woke.body, 'curl -fsS -o /dev/null "https://quiet.example.com/wp-cron.php?doing_wp_cron"');
  await ctx.db.query("UPDATE bot_liveness SET last_activity = last_activity - interval '11 minutes' WHERE bot_id = $1", [bot.id]);
  // past its deadline, the sweep nudged it (a deadline probe queued for this silence)
  await ctx.db.query(
    `INSERT INTO site_probes (bot_id, purpose, last_activity, url, next_attempt_at, created_at)
     SELECT bot_id, 'deadline', date_trunc('milliseconds', last_activity), 'https://quiet.example.com/wp-cron.php', now(), now() FROM bot_liveness WHERE bot_id = $1`,
    [bot.id],
  );
  const checking = await ctx.b.get(`/bots/${bot.id}/status`, { 'hx-request': 'true' });
  // still connected: the page says it is being checked
  assert.match(checking.body, /✅ Connected/);
  assert.match(checking.body, 'Checking: no heartbeat for longer than usual');
  await ctx.db.query(
    `UPDATE bots SET connection_status = 'stale', diagnosis = 'site_down', diagnosis_detail = 'Your site did not answer: connection refused.',
       last_probe_at = $2 WHERE id = $1`,
    [bot.id, new Date('2026-11-25T11:58:00Z')],
  );
  const stale = await ctx.b.get(`/bots/${bot.id}/status`, { 'hx-request': 'true' });
  // the diagnosis heading, its detail, when it was checked, and what to do
  assert.match(stale.body, /data-diagnosis="site_down"/);
  assert.match(stale.body, /<strong>Your site is down\.<\/strong>/);
  assert.match(stale.body, 'Your site did not answer: connection refused.');
  assert.match(stale.body, /checked <time datetime="2026-11-25T11:58:00.000Z"/);
  assert.match(stale.body, 'Open the site in a browser');
  // and no cron advice while stale
  assert.not.match(stale.body, 'WP-Cron runs only when someone visits');
  const json = await ctx.app.inject({ method: 'GET', url: `/api/bots/${bot.id}`, headers: { authorization: `Bearer ${ctx.owner.apiKey}` } });
  // the API says the same
  assert.is(json.json().diagnosis, 'site_down');
  assert.is(json.json().diagnosis_detail, 'Your site did not answer: connection refused.');
  assert.is(json.json().last_probe_at, '2026-11-25T11:58:00.000Z');
});

test('a bot name with markup is shown as text everywhere, and a non-http site URL is not a link', async (ctx) => {
  const name = '<img src=x onerror=alert(1)>';
  const { bot, token } = await createBotFor(ctx.db, ctx.owner.user.id, { name, welcome_message: '<script>alert(2)</script>' });
  await heartbeat(ctx, token);
  await ctx.db.query("UPDATE bots SET wordpress_site_url = 'javascript:alert(3)' WHERE id = $1", [bot.id]);
  for (const url of ['/bots', `/bots/${bot.id}`, `/bots/${bot.id}/edit`, `/bots/${bot.id}/delete`, '/bots/list']) {
    const body = (await ctx.b.get(url)).body;
    // the markup is escaped, never emitted
    assert.not.ok(body.includes('<img src=x'), url);
    assert.not.ok(body.includes('<script>alert(2)'), url);
    assert.not.ok(body.includes('href="javascript:'), url);
  }
  const page = await ctx.b.get(`/bots/${bot.id}`);
  // shown as text
  assert.ok(page.body.includes('&lt;img src&#x3D;x onerror&#x3D;alert(1)&gt;'));
  assert.ok(page.body.includes('javascript:alert(3)'));
});

test('edit changes the fields, switches the bot off and sets its grace', async (ctx) => {
  const { bot } = await createBotFor(ctx.db, ctx.owner.user.id, { name: 'Before' });
  const form = await ctx.b.get(`/bots/${bot.id}/edit`);
  // the form shows the current values
  assert.match(form.body, /value="Before"/);
  const saved = await ctx.b.post(`/bots/${bot.id}/edit`, { name: 'After', language: 'de', model: 'gpt-4o', stale_grace_minutes: '15', is_trained: 'on' });
  // back to the bot page
  assert.is(saved.statusCode, 303);
  assert.is(saved.headers.location, `/bots/${bot.id}`);
  const stored = await findOwnedBot(ctx.db, ctx.owner.user.id, bot.id);
  // saved; the unchecked "enabled" box disabled the bot
  assert.is(stored?.name, 'After');
  assert.is(stored?.language, 'de');
  assert.is(stored?.is_active, false);
  assert.is(stored?.is_trained, true);
  assert.is(stored?.stale_grace_seconds, 900);
  const page = await ctx.b.get(`/bots/${bot.id}`);
  // shown as disabled
  assert.match(page.body, /⛔ Bot disabled/);
});

test('delete asks for confirmation, then deletes', async (ctx) => {
  const { bot } = await createBotFor(ctx.db, ctx.owner.user.id, { name: 'Doomed' });
  const confirm = await ctx.b.get(`/bots/${bot.id}/delete`);
  // a confirmation page with a POST form
  assert.match(confirm.body, /Delete “Doomed”\?/);
  assert.match(confirm.body, new RegExp(`<form method="post" action="/bots/${bot.id}/delete">`));
  // the bot is still there until the form is sent
  assert.ok(await findOwnedBot(ctx.db, ctx.owner.user.id, bot.id));
  const deleted = await ctx.b.post(`/bots/${bot.id}/delete`);
  // back to the list, which says so
  assert.is(deleted.statusCode, 303);
  assert.match((await ctx.b.get(deleted.headers.location as string)).body, /The bot was deleted/);
  // gone
  assert.is(await findOwnedBot(ctx.db, ctx.owner.user.id, bot.id), undefined);
  assert.is((await ctx.b.get(`/bots/${bot.id}`)).statusCode, 404);
});

test('rotating the token shows the new one once and the old one stops working', async (ctx) => {
  const { bot, token } = await createBotFor(ctx.db, ctx.owner.user.id);
  await ctx.b.get(`/bots/${bot.id}`);
  const rotated = await ctx.b.post(`/bots/${bot.id}/rotate-token`);
  const fresh = /<code id="bot-token" class="token">(bot_[A-Za-z0-9_-]+)<\/code>/.exec(rotated.body)?.[1];
  // a new token with a copy button
  assert.is(rotated.statusCode, 200);
  assert.ok(fresh && fresh !== token);
  assert.match(rotated.body, /data-copy="#bot-token"/);
  // the old token is refused, the new one accepted
  assert.is((await heartbeat(ctx, token)).statusCode, 401);
  assert.is((await heartbeat(ctx, fresh!)).statusCode, 200);
});

test('mute sets muted_until, unmute clears it, and grace is saved', async (ctx) => {
  const { bot } = await createBotFor(ctx.db, ctx.owner.user.id);
  await ctx.b.get(`/bots/${bot.id}`);
  await ctx.b.post(`/bots/${bot.id}/mute`, { duration: '7d' });
  let stored = await findOwnedBot(ctx.db, ctx.owner.user.id, bot.id);
  // muted for 7 days from the clock's now
  assert.is(stored?.muted_until?.getTime(), ctx.clock.now().getTime() + 7 * 86_400_000);
  const page = await ctx.b.get(`/bots/${bot.id}`);
  // the page says until when, in the owner's zone
  assert.match(page.body, /Alerts are muted until <time datetime="[^"]+" title="2 Dec 2026, \d\d:\d\d:\d\d CET">/);
  await ctx.b.post(`/bots/${bot.id}/mute`, { duration: 'off' });
  stored = await findOwnedBot(ctx.db, ctx.owner.user.id, bot.id);
  // unmuted
  assert.is(stored?.muted_until, null);
  const badGrace = await ctx.b.post(`/bots/${bot.id}/grace`, { stale_grace_minutes: '-3' });
  // a bad grace is refused with the page and a message
  assert.is(badGrace.statusCode, 400);
  assert.match(badGrace.body, /grace must be a whole number of minutes/);
  await ctx.b.post(`/bots/${bot.id}/grace`, { stale_grace_minutes: '20' });
  stored = await findOwnedBot(ctx.db, ctx.owner.user.id, bot.id);
  // 20 minutes of grace
  assert.is(stored?.stale_grace_seconds, 1200);
});

test('a shorter mute never cuts a longer one short; off still unmutes', async (ctx) => {
  const { bot } = await createBotFor(ctx.db, ctx.owner.user.id);
  await ctx.b.get(`/bots/${bot.id}`);
  await ctx.b.post(`/bots/${bot.id}/mute`, { duration: '30d' });
  await ctx.b.post(`/bots/${bot.id}/mute`, { duration: '1h' });
  let stored = await findOwnedBot(ctx.db, ctx.owner.user.id, bot.id);
  // still muted for the 30 days chosen first
  assert.is(stored?.muted_until?.getTime(), ctx.clock.now().getTime() + 30 * 86_400_000);
  await ctx.b.post(`/bots/${bot.id}/mute`, { duration: 'off' });
  await ctx.b.post(`/bots/${bot.id}/mute`, { duration: '1h' });
  stored = await findOwnedBot(ctx.db, ctx.owner.user.id, bot.id);
  // after unmuting, the short mute applies
  assert.is(stored?.muted_until?.getTime(), ctx.clock.now().getTime() + 3_600_000);
});

test('every state-changing form is refused without a valid CSRF token', async (ctx) => {
  const { bot } = await createBotFor(ctx.db, ctx.owner.user.id, { name: 'Guarded' });
  const forms: Array<[string, Record<string, string>]> = [
    ['/bots', { name: 'Sneaky' }],
    [`/bots/${bot.id}/edit`, { name: 'Sneaky' }],
    [`/bots/${bot.id}/delete`, {}],
    [`/bots/${bot.id}/rotate-token`, {}],
    [`/bots/${bot.id}/mute`, { duration: '30d' }],
    [`/bots/${bot.id}/grace`, { stale_grace_minutes: '60' }],
    ['/account', { name: 'Sneaky', timezone: 'UTC' }],
    ['/account/password', { current_password: ctx.owner.password, new_password: 'sneaky-pass-1', confirm_password: 'sneaky-pass-1' }],
    ['/logout', {}],
  ];
  for (const [url, form] of forms) {
    for (const csrf of [null, 'forged-token']) {
      const response = await ctx.b.post(url, { ...form, _csrf: csrf });
      // 403 with an HTML explanation
      assert.is(response.statusCode, 403, `${url} with ${csrf}`);
      assert.match(response.body, /This form has expired/);
    }
  }
  const stored = await findOwnedBot(ctx.db, ctx.owner.user.id, bot.id);
  // nothing changed
  assert.is(stored?.name, 'Guarded');
  assert.is(stored?.muted_until, null);
  assert.is((await listConnectionEvents(ctx.db, bot.id)).length, 0);
  // and the session still works (logout was refused too)
  assert.is((await ctx.b.get('/bots')).statusCode, 200);
});

test('pages need a session: the login page comes first, then the page asked for', async (ctx) => {
  const anonymous = await ctx.app.inject({ method: 'GET', url: '/bots/new', headers: { accept: 'text/html' } });
  // redirected to the login page, remembering where to go
  assert.is(anonymous.statusCode, 303);
  assert.is(anonymous.headers.location, '/login?next=%2Fbots%2Fnew');
  const htmx = await ctx.app.inject({ method: 'GET', url: '/bots/list', headers: { 'hx-request': 'true' } });
  // an htmx poll after the session ended makes the whole page go to the login page
  assert.is(htmx.headers['hx-redirect'], '/login?next=%2Fbots%2Flist');
});

test('unknown pages are an HTML 404 for browsers and JSON for API clients', async (ctx) => {
  const html = await ctx.b.get('/no/such/page');
  // HTML for the browser
  assert.is(html.statusCode, 404);
  assert.match(html.headers['content-type'] as string, /text\/html/);
  const json = await ctx.app.inject({ method: 'GET', url: '/api/no/such', headers: { accept: 'text/html' } });
  // the API keeps the seed's JSON shape
  assert.is(json.statusCode, 404);
  assert.is(json.json().success, false);
});

test.run();
