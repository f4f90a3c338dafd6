// `npm run test:wordpress`: the plugin inside a real WordPress (Debian's package, MariaDB, php -S)
// talking to the real service (in this process, on the test database: PostgreSQL under CI).
import http from 'node:http';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import type { AddressInfo } from 'node:net';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { buildApp } from '../../src/app.ts';
import { findOwnedBot, type BotRow } from '../../src/db/bots.ts';
import type { Database } from '../../src/db/database.ts';
import { readPluginRelease } from '../../src/plugin/plugin-release.ts';
import { pluginSigningKey } from '../../src/plugin/plugin-signing.ts';
import { createBotFor, createOwner, testConfig } from '../helpers/app.ts';
import { testDatabase } from '../helpers/database.ts';
import { copyPluginWithVersion } from '../helpers/plugin-copy.ts';
import { loggedIn } from '../helpers/dashboard.ts';
import { freePort, whenAvailable } from '../helpers/system.ts';
import { Browser, formFields, readDebugLog, startWordPress, wordpressUnavailable, type WordPressSite } from './wordpress-site.ts';

const PASSWORD = 'e2e-admin-password';
const SERVICE_HOST = '127.0.0.2';
const RATE_LIMIT = 25;

interface Ctx {
  db: Database;
  app: Awaited<ReturnType<typeof buildApp>>;
  apiUrl: string;
  announcedDir: string;
  site: WordPressSite;
  admin: Browser;
  ownerId: string;
  owner: { email: string; password: string };
  bot: BotRow;
  token: string;
  /** Every request that reached the service at all. */
  serviceRequests: number;
  /** Every request that reached the heartbeat endpoint, and the bodies that got past the rate limit. */
  heartbeatRequests: number;
  heartbeats: { headers: Record<string, unknown>; body: Record<string, unknown> }[];
}

const test = suite<Ctx>('WordPress end-to-end');
const it = whenAvailable(test, wordpressUnavailable());
const installedVersion = readPluginRelease().version;

test.before(async (ctx) => {
  if (wordpressUnavailable()) return;
  ctx.db = await testDatabase();
  ctx.announcedDir = copyPluginWithVersion('99.0.0');
  // PUBLIC_URL is the address the service really listens on: its plugin builds and update URLs use it.
  // 127.0.0.2, not the site's 127.0.0.1: a private address of another host, as a self-hosted service has.
  const port = await freePort(SERVICE_HOST);
  const publicUrl = `http://${SERVICE_HOST}:${port}`;
  // The service signs its updates with this key; the installed copy carries its public half.
  const signingSeed = randomBytes(32).toString('base64');
  ctx.app = await buildApp({
    config: testConfig({ HEARTBEAT_RATE_LIMIT: String(RATE_LIMIT), PUBLIC_URL: publicUrl, PLUGIN_SIGNING_KEY: signingSeed }),
    db: ctx.db,
    pluginDir: ctx.announcedDir,
  });
  ctx.serviceRequests = 0;
  ctx.heartbeatRequests = 0;
  ctx.heartbeats = [];
  ctx.app.addHook('onRequest', async (request) => {
    ctx.serviceRequests++;
    if (request.url === '/api/bots/wordpress-heartbeat') ctx.heartbeatRequests++;
  });
  ctx.app.addHook('preHandler', async (request) => {
    if (request.url === '/api/bots/wordpress-heartbeat') ctx.heartbeats.push({ headers: request.headers, body: request.body as Record<string, unknown> });
  });
  await ctx.app.listen({ host: SERVICE_HOST, port });
  ctx.apiUrl = `${publicUrl}/api`;

  const { user, password } = await createOwner(ctx.db);
  ctx.ownerId = user.id;
  ctx.owner = { email: user.email, password };
  const created = await createBotFor(ctx.db, user.id, { name: 'Shop helper', welcome_message: 'Hi! Ask me anything.' });
  ctx.bot = created.bot;
  ctx.token = created.token;

  // The direct build, as the service's download endpoint serves it: its default API URL is the service.
  ctx.site = await startWordPress({ apiUrl: ctx.apiUrl, publicKey: pluginSigningKey(signingSeed).publicKey });
  ctx.admin = new Browser(ctx.site.url);
});

test.after(async (ctx) => {
  await ctx.site?.close();
  await ctx.app?.close();
  if (ctx.announcedDir) rmSync(ctx.announcedDir, { recursive: true, force: true });
});


const serviceBot = (ctx: Ctx) => findOwnedBot(ctx.db, ctx.ownerId, ctx.bot.id);

async function settingsPage(ctx: Ctx) {
  const page = await ctx.admin.request('/wp-admin/options-general.php?page=agentdesk');
  assert.is(page.status, 200, 'the settings page opens for the administrator');
  return page;
}

/** Saves Settings → AgentDesk as the administrator would: the page's own nonce, a real POST, the redirect followed. */
async function saveSettings(ctx: Ctx, fields: { token?: string; apiUrl?: string }) {
  const page = await settingsPage(ctx);
  const hidden = formFields(page.text, 'options.php');
  const started = performance.now();
  const saved = await ctx.admin.request('/wp-admin/options.php', {
    form: { ...hidden, agentdesk_api_token: fields.token ?? '', agentdesk_api_url: fields.apiUrl ?? ctx.apiUrl, submit: 'Save and test connection' },
  });
  assert.is(saved.status, 302, `options.php redirects back after saving: ${saved.text.slice(0, 300)}`);
  const after = await ctx.admin.request(new URL(saved.location!, ctx.site.url).pathname + new URL(saved.location!, ctx.site.url).search);
  return { html: after.text, ms: performance.now() - started };
}

const statusOf = (html: string) => /id="agentdesk-status"[^>]*>([^<]*)</.exec(html)?.[1];

it('installs WordPress 6.1 and activates the plugin, which schedules nothing without a token', async (ctx) => {
  const installed = await ctx.site.task('install', { password: PASSWORD });
  // Debian's WordPress 6.1.x
  assert.match(installed.wp_version, /^6\.1(\.\d+)?$/);
  const activated = await ctx.site.task('activate');
  // active, and no heartbeat before a token is saved
  assert.is(activated.error, null);
  assert.is(activated.active, true);
  assert.is(activated.next, false);
});

it('logs the administrator in over HTTP', async (ctx) => {
  ctx.admin.setCookie('wordpress_test_cookie', 'WP%20Cookie%20check');
  const login = await ctx.admin.request('/wp-login.php', {
    form: { log: 'admin', pwd: PASSWORD, 'wp-submit': 'Log In', redirect_to: `${ctx.site.url}/wp-admin/`, testcookie: '1' },
  });
  // a redirect into wp-admin with the auth cookies
  assert.is(login.status, 302, login.text.slice(0, 500));
  const page = await settingsPage(ctx);
  // Settings → AgentDesk is there, not connected yet
  assert.is(statusOf(page.text), 'Not connected');
});

it('sends nothing to the service before a token is saved: pages, widget, cron, update check, Site Health', async (ctx) => {
  for (const page of ['/', '/wp-admin/', '/wp-admin/plugins.php', '/wp-admin/options-general.php?page=agentdesk', '/wp-admin/site-health.php', '/wp-admin/update-core.php']) {
    assert.is((await ctx.admin.request(page)).status, 200, page);
  }
  await ctx.site.task('cron');
  await ctx.site.task('update-check');
  const health = await ctx.site.task('site-health');
  const service = new URL(ctx.apiUrl).origin;
  const recorded = ctx.site.httpRequests();
  // the pre_http_request recorder works: it saw WordPress's own requests (WordPress.org)…
  assert.ok(recorded.length > 0, 'the recorder saw nothing at all');
  // …and not one to the service; the service itself received nothing either
  assert.equal(recorded.filter((r) => r.url.startsWith(service)), []);
  assert.is(ctx.serviceRequests, 0);
  // Site Health says what is missing, without asking the service
  assert.is(health.test.status, 'recommended');
  assert.is(health.test.label, 'AgentDesk is not connected');
  // the front page does not load the widget
  assert.not.match((await ctx.admin.request('/')).text, 'widget.js');
});

it('rejects a token AgentDesk does not know: a clear error, nothing stored, no heartbeat', async (ctx) => {
  const before = ctx.heartbeatRequests;
  const { html } = await saveSettings(ctx, { token: `bot_${'x'.repeat(43)}` });
  // the site owner reads what went wrong
  assert.match(html, 'AgentDesk did not accept this API token');
  assert.match(html, 'The new token was not saved.');
  const state = await ctx.site.task('state');
  // no token stored, nothing scheduled, nothing sent
  assert.is(state.options.agentdesk_api_token ?? '', '');
  assert.is(state.next, false);
  assert.is(ctx.heartbeatRequests, before);
});

it('saves a valid token: validated, heartbeat sent at once, "Connected", and the service shows the site connected', async (ctx) => {
  const { html } = await saveSettings(ctx, { token: ctx.token });
  // the page says connected, names the bot, shows the last heartbeat
  assert.is(statusOf(html), 'Connected');
  assert.match(html, /Connected to your AgentDesk bot (&quot;|")Shop helper(&quot;|")/);
  assert.not.match(html, /id="agentdesk-last-heartbeat">\s*Never/);
  // in the site's date and time format (WordPress's defaults: "F j, Y g:i a")
  assert.match(html, /id="agentdesk-last-heartbeat">\s*[A-Z][a-z]+ \d{1,2}, \d{4} \d{1,2}:\d{2} (am|pm) \(/);
  // the secret token is never echoed back
  assert.not.ok(html.includes(ctx.token), 'the token appears in the page');
  const bot = await serviceBot(ctx);
  // the service recorded the site with its real URL, the plugin version and WordPress 6.1.x
  assert.is(bot?.connection_status, 'connected');
  assert.is(bot?.wordpress_connected, true);
  assert.is(bot?.wordpress_site_url, ctx.site.url);
  assert.is(bot?.wordpress_plugin_version, installedVersion);
  assert.match(bot?.wordpress_wp_version ?? '', /^6\.1(\.\d+)?$/);
  const state = await ctx.site.task('state');
  // a five-minute schedule on the seed's hook, once
  assert.is(state.schedule, 'agentdesk_five_minutes');
  assert.is(state.interval, 300);
  assert.ok(state.next > Date.now() / 1000);
  assert.is(state.cron_hooks.filter((hook: string) => hook === 'agentdesk_heartbeat_event').length, 1);
});

it('Site Health passes when connected, and fails when the token is removed or the heartbeat is overdue', async (ctx) => {
  const connected = await ctx.site.task('site-health');
  // passing, with the debug section showing the token by its prefix only
  assert.is(connected.test.status, 'good', JSON.stringify(connected.test));
  assert.is(connected.test.label, 'AgentDesk is connected');
  assert.is(connected.debug.fields.token.value, `${ctx.token.slice(0, 8)}…`);
  assert.is(connected.debug.fields.api_url.value, ctx.apiUrl);
  assert.not.ok(JSON.stringify(connected.debug).includes(ctx.token));

  await ctx.site.task('set-option', { name: 'agentdesk_api_token', value: '' });
  const removed = await ctx.site.task('site-health');
  await ctx.site.task('set-option', { name: 'agentdesk_api_token', value: ctx.token });
  // no token: not connected
  assert.is(removed.test.status, 'recommended');
  assert.is(removed.test.label, 'AgentDesk is not connected');

  await ctx.site.task('make-overdue', { seconds: 7200 });
  try {
    const overdue = await ctx.site.task('site-health');
    // WP-Cron has not run the event for two hours: critical, with advice about DISABLE_WP_CRON (set on this site)
    assert.is(overdue.test.status, 'critical');
    assert.match(overdue.test.description, 'overdue by 2 hours');
    assert.match(overdue.test.description, 'DISABLE_WP_CRON');
    const page = await settingsPage(ctx);
    // the settings page says "overdue", not "in 2 hours"
    assert.match(page.text, /class="agentdesk-overdue">Overdue by 2 hours\.</);
    assert.not.match(page.text, /in 2 hours/);
  } finally {
    await ctx.site.task('make-overdue', { seconds: -300 });
  }
  // on time again: passing
  assert.is((await ctx.site.task('site-health')).test.status, 'good');
});

it('"Send heartbeat now" sends one heartbeat and shows the service\'s answer; a forged nonce is refused', async (ctx) => {
  const page = await settingsPage(ctx);
  const fields = formFields(page.text, 'admin-post.php');
  const before = ctx.heartbeats.length;
  const posted = await ctx.admin.request('/wp-admin/admin-post.php', { form: fields });
  // a redirect back to the settings page, which shows the answer
  assert.is(posted.status, 302, posted.text.slice(0, 300));
  const after = await ctx.admin.request(new URL(posted.location!).pathname + new URL(posted.location!).search);
  assert.match(after.text, /id="agentdesk-test-result" class="notice notice-success"><p>\s*AgentDesk answered \(HTTP 200\): Connected/);
  assert.is(ctx.heartbeats.length, before + 1);
  // shown once
  assert.not.match((await settingsPage(ctx)).text, 'agentdesk-test-result');

  const forged = await ctx.admin.request('/wp-admin/admin-post.php', { form: { ...fields, _wpnonce: 'forged' } });
  // check_admin_referer stops it before anything is sent
  assert.is(forged.status, 403);
  assert.is(ctx.heartbeats.length, before + 1);
  const anonymous = await new Browser(ctx.site.url).request('/wp-admin/admin-post.php', { form: fields });
  // and someone not logged in gets nowhere near it
  assert.is(anonymous.status, 400);
  assert.is(ctx.heartbeats.length, before + 1);
});

it('suggests its privacy-policy text, linking the service\'s privacy policy', async (ctx) => {
  const guide = await ctx.admin.request('/wp-admin/options-privacy.php?tab=policyguide');
  // Settings → Privacy → Policy Guide lists the plugin's paragraph
  assert.is(guide.status, 200);
  assert.match(guide.text, 'This site uses the AgentDesk chat bot.');
  assert.match(guide.text, `${new URL(ctx.apiUrl).origin}/privacy`);
  const settings = await settingsPage(ctx);
  // and the settings page links the terms and privacy policy
  assert.match(settings.text, `href="${new URL(ctx.apiUrl).origin}/terms"`);
  for (const [page, heading] of [['terms', 'Terms of use'], ['privacy', 'Privacy policy']]) {
    const link = new RegExp(`href="([^"]+/${page})"`).exec(settings.text)![1]!;
    const answer = await fetch(link);
    // each link the plugin shows is a page the service serves
    assert.is(answer.status, 200, link);
    assert.match(await answer.text(), `<h1>${heading}</h1>`);
  }
});

it('sends the four fields of the seed and the site-health facts of heartbeat 1.2, with the token only in X-Bot-Token, when the cron event runs', async (ctx) => {
  const before = ctx.heartbeats.length;
  const previous = (await serviceBot(ctx))!.wordpress_last_activity!;
  const run = await ctx.site.task('cron');
  // one heartbeat per event
  assert.is(ctx.heartbeats.length, before + 1);
  const sent = ctx.heartbeats.at(-1)!;
  // privacy: site URL, plugin version, WordPress version, active flag and the site-health facts; nothing else
  assert.equal(Object.keys(sent.body).sort(), ['cron', 'environment', 'is_active', 'multisite', 'php_version', 'plugin_version', 'site_url', 'wp_version']);
  const { cron, environment, multisite, php_version: php, ...seed } = sent.body as Record<string, any>;
  assert.equal(seed, { site_url: ctx.site.url, plugin_version: installedVersion, wp_version: run.wp_version, is_active: true });
  // PHP as major.minor.release, the site's environment and network, and how its cron runs
  assert.is(php, execFileSync('php', ['-r', 'echo PHP_MAJOR_VERSION . "." . PHP_MINOR_VERSION . "." . PHP_RELEASE_VERSION;']).toString());
  assert.is(environment, 'production');
  assert.is(multisite, false);
  // the test site sets DISABLE_WP_CRON and no event has waited an hour: a system cron, as far as it can tell
  assert.is(cron.mode, 'system');
  assert.equal(Object.keys(cron).sort(), ['mode', 'oldest_overdue_seconds', 'overdue_events']);
  assert.is(sent.headers['x-bot-token'], ctx.token);
  // the result is stored for the settings page and the service saw it
  assert.is(run.options.agentdesk_heartbeat_result.result, 'ok');
  assert.ok((await serviceBot(ctx))!.wordpress_last_activity!.getTime() >= previous.getTime());
  // still scheduled
  assert.is(run.schedule, 'agentdesk_five_minutes');
});

/** The kinds of the "Needs attention" card on the service's bot page, as the owner sees it. */
async function attentionOnBotPage(ctx: Ctx): Promise<string[]> {
  const owner = await loggedIn(ctx.app, ctx.owner.email, ctx.owner.password);
  const page = await owner.get(`/bots/${ctx.bot.id}`);
  assert.is(page.statusCode, 200);
  return [...page.body.matchAll(/<li data-kind="([a-z_]+)">/g)].map((match) => match[1]!);
}

it('with WP_ENVIRONMENT_TYPE=staging, not_production shows on the bot page after one heartbeat', async (ctx) => {
  ctx.site.setExtraConfig("define( 'WP_ENVIRONMENT_TYPE', 'staging' );");
  try {
    const before = ctx.heartbeats.length;
    await ctx.site.task('cron');
    // connected as a production site, it now looks like a staging copy: silent (docs/wordpress-plugin.md "Copies of a site")
    assert.is(ctx.heartbeats.length, before);
    // connected again as the staging site it is, it reports
    assert.is((await ctx.site.cli('connect', ctx.token)).exit, 0);
    await ctx.site.task('cron');
    // the heartbeat said so
    assert.is(ctx.heartbeats.at(-1)!.body.environment, 'staging');
    // and the owner sees it
    assert.ok((await attentionOnBotPage(ctx)).includes('not_production'));
    // the heartbeat's answer told the site too: Site Health, the settings page and WP-CLI list the same item
    const health = await ctx.site.task('site-health');
    assert.is(health.attention.status, 'recommended', JSON.stringify(health.attention));
    assert.match(health.attention.description, /data-kind="not_production"/);
    const settings = await ctx.admin.request('/wp-admin/options-general.php?page=agentdesk');
    assert.match(settings.text, /id="agentdesk-attention"[\s\S]*data-kind="not_production"/);
    const status = await ctx.site.cli('status');
    assert.ok(/\n  - \[not_production\] WordPress reports this site as a "staging" environment/.test(status.output), status.output);
    // and the newer release the service serves (this suite's service announces 99.0.0), as automatic update news
    assert.match(status.output, /Plugin release: 99\.0\.0 is available \(this site runs \d+\.\d+\.\d+\)/);
  } finally {
    ctx.site.setExtraConfig('');
  }
  await ctx.site.task('cron');
  // back on production, the item is gone with the next heartbeat, here and on the site
  assert.not.ok((await attentionOnBotPage(ctx)).includes('not_production'));
  assert.not.match((await ctx.site.task('site-health')).attention.description, 'not_production');
  assert.not.match((await ctx.site.cli('status')).output, 'not_production');
});

it('with DISABLE_WP_CRON and nothing running due events for over an hour, cron_disabled shows on the bot page after one heartbeat', async (ctx) => {
  // The test site sets DISABLE_WP_CRON and no system cron runs: events wait, here for two hours.
  await ctx.site.task('make-overdue', { seconds: 7200 });
  try {
    await ctx.site.task('cron');
    const cron = ctx.heartbeats.at(-1)!.body.cron as Record<string, number | string>;
    // the plugin reported it, with its overdue events
    assert.is(cron.mode, 'disabled');
    assert.ok((cron.oldest_overdue_seconds as number) >= 7200);
    assert.ok((cron.overdue_events as number) >= 1);
    const kinds = await attentionOnBotPage(ctx);
    // cron_disabled, not cron_overdue as well: one cause, one item
    assert.ok(kinds.includes('cron_disabled'), kinds.join());
    assert.not.ok(kinds.includes('cron_overdue'));
  } finally {
    // back to a heartbeat due in five minutes
    await ctx.site.task('make-overdue', { seconds: -300 });
  }
  await ctx.site.task('cron');
  // with nothing waiting, the next heartbeat clears it
  assert.is((ctx.heartbeats.at(-1)!.body.cron as Record<string, string>).mode, 'system');
  assert.not.ok((await attentionOnBotPage(ctx)).includes('cron_disabled'));
});

it('embeds the widget on the front end with the public widget key, never the token', async (ctx) => {
  const home = await ctx.admin.request('/');
  // widget.js from the service, configured with the widget key and API URL
  assert.is(home.status, 200);
  assert.match(home.text, `${ctx.apiUrl.replace(/\/api$/, '')}/widget.js?ver=${installedVersion}`);
  assert.match(home.text, `"widgetKey":"${ctx.bot.widget_key}"`);
  // the secret stays on the server
  assert.not.ok(home.text.includes(ctx.token));
  const script = await fetch(`${ctx.apiUrl.replace(/\/api$/, '')}/widget.js`);
  const config = await fetch(`${ctx.apiUrl}/bots/config/${ctx.bot.widget_key}`);
  // both are served: the script and the public config it reads
  assert.is(script.status, 200);
  assert.is((await config.json()).welcome_message, 'Hi! Ask me anything.');
});

const CHROMIUM = '/usr/bin/chromium';
it('shows the bot\'s launcher and, on click, its welcome message in a real browser', async (ctx) => {
  if (!existsSync(CHROMIUM)) {
    // the widget check needs Debian's chromium; CI installs it
    assert.not.ok(process.env.CI, `${CHROMIUM} is missing`);
    console.log(`skipping the browser check: ${CHROMIUM} is not installed`);
    return;
  }
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
  try {
    const page = await browser.newPage();
    await page.goto(`${ctx.site.url}/`);
    const launcher = page.locator('#agentdesk-widget .launcher');
    await launcher.waitFor({ timeout: 20_000 });
    // the launcher carries the bot's name, from the public config
    assert.is(await launcher.textContent(), 'Shop helper');
    await launcher.click();
    const bubble = page.locator('#agentdesk-widget .bubble');
    await bubble.waitFor({ state: 'visible', timeout: 5_000 });
    // the panel shows the welcome message
    assert.is(await bubble.textContent(), 'Hi! Ask me anything.');
  } finally {
    await browser.close();
  }
});

it('a token the service no longer accepts pauses the heartbeat: admin notice, no schedule, no further requests', async (ctx) => {
  const { rows } = await ctx.db.query<{ token_hash: string }>('SELECT token_hash FROM bots WHERE id = $1', [ctx.bot.id]);
  const original = rows[0]!.token_hash;
  // the token is rotated in AgentDesk: the site's copy is now unknown
  await ctx.db.query('UPDATE bots SET token_hash = $2 WHERE id = $1', [ctx.bot.id, 'rotated-elsewhere']);
  try {
    const first = await ctx.site.task('cron');
    // paused, unscheduled, reason stored
    assert.is(first.options.agentdesk_heartbeat_result.code, 401);
    assert.is(first.options.agentdesk_paused, 'invalid_token');
    assert.is(first.next, false);
    const dashboard = await ctx.admin.request('/wp-admin/index.php');
    // the notice on every admin page, in plain words
    assert.match(dashboard.text, 'AgentDesk heartbeats are paused.');
    assert.match(dashboard.text, 'AgentDesk did not accept this API token');
    const dismiss = /class="agentdesk-dismiss" href="([^"]+)"/.exec(dashboard.text)![1]!.replace(/&#0?38;|&amp;/g, '&');
    const dismissed = await ctx.admin.request(new URL(dismiss).pathname + new URL(dismiss).search);
    // dismissing (a nonce-checked link) hides it for this administrator
    assert.is(dismissed.status, 302);
    assert.not.match((await ctx.admin.request('/wp-admin/index.php')).text, 'AgentDesk heartbeats are paused.');
    // the settings page still says why
    assert.is(statusOf((await settingsPage(ctx)).text), 'Paused');
    const counted = ctx.heartbeatRequests;
    await ctx.site.task('cron');
    await ctx.admin.request('/');
    // no noise: nothing more reaches the service, nothing is rescheduled by page loads
    assert.is(ctx.heartbeatRequests, counted);
    assert.is((await ctx.site.task('state')).next, false);
  } finally {
    await ctx.db.query('UPDATE bots SET token_hash = $2 WHERE id = $1', [ctx.bot.id, original]);
  }
  const { html } = await saveSettings(ctx, {});
  // saving again (the token field left empty keeps the token) resumes
  assert.is(statusOf(html), 'Connected');
  assert.not.match(html, 'heartbeats are paused');
  assert.is((await ctx.site.task('state')).schedule, 'agentdesk_five_minutes');
});

it('a bot switched off in AgentDesk pauses the heartbeat with its own explanation', async (ctx) => {
  await ctx.db.query('UPDATE bots SET is_active = false WHERE id = $1', [ctx.bot.id]);
  try {
    const run = await ctx.site.task('cron');
    // 403 → paused as bot_disabled
    assert.is(run.options.agentdesk_heartbeat_result.code, 403);
    assert.is(run.options.agentdesk_paused, 'bot_disabled');
    assert.is(run.next, false);
    const page = await settingsPage(ctx);
    // the settings page says why
    assert.is(statusOf(page.text), 'Paused');
    assert.match(page.text, 'This bot is switched off in AgentDesk');
  } finally {
    await ctx.db.query('UPDATE bots SET is_active = true WHERE id = $1', [ctx.bot.id]);
  }
  const { html } = await saveSettings(ctx, {});
  // back on, back connected
  assert.is(statusOf(html), 'Connected');
});

it('the service down: the error is recorded in words, no PHP fatal, no slow page, the schedule kept', async (ctx) => {
  // A service that accepts connections and never answers: the plugin's 5 s timeout must hold.
  const sockets: net.Socket[] = [];
  const silent = net.createServer((socket) => sockets.push(socket));
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const silentUrl = `http://127.0.0.1:${(silent.address() as AddressInfo).port}/api`;
  // And an address where nothing listens at all.
  const closed = net.createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const closedUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/api`;
  await new Promise((resolve) => closed.close(resolve));
  const lastOk = (await ctx.site.task('state')).options.agentdesk_last_heartbeat;

  try {
    const hanging = await saveSettings(ctx, { apiUrl: silentUrl });
    // the save returns soon after the timeout, with the reason, and keeps the token
    assert.ok(hanging.ms < 12_000, `saving took ${Math.round(hanging.ms)} ms`);
    assert.match(hanging.html, 'Could not reach AgentDesk');
    assert.match(hanging.html, 'The saved token is unchanged.');

    await saveSettings(ctx, { apiUrl: closedUrl });
    const run = await ctx.site.task('cron');
    // unreachable recorded; still scheduled (it retries); last success unchanged
    assert.is(run.options.agentdesk_heartbeat_result.result, 'unreachable');
    assert.is(run.schedule, 'agentdesk_five_minutes');
    assert.is(run.options.agentdesk_last_heartbeat, lastOk);
    assert.ok(run.seconds < 6, `cron took ${run.seconds} s`);
    const page = await settingsPage(ctx);
    // the settings page reads stored state only: fast, and it explains
    assert.ok(page.ms < 3_000, `settings page took ${Math.round(page.ms)} ms`);
    assert.is(statusOf(page.text), 'Connection problem');
    assert.match(page.text, 'Could not reach AgentDesk');
    // and nothing fatal anywhere
    assert.not.match(ctx.site.serverLog() + readDebugLog(ctx.site), /Fatal error/i);
  } finally {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
  }
  const { html } = await saveSettings(ctx, { apiUrl: ctx.apiUrl });
  // pointing back at the service reconnects
  assert.is(statusOf(html), 'Connected');
});

it('a 503 with Retry-After (the service\'s database down) is waited out as asked', async (ctx) => {
  // The service answers 503 + Retry-After while its database is unreachable; this one always does.
  let requests = 0;
  const down = http.createServer((request, response) => {
    requests++;
    request.resume();
    response.writeHead(503, { 'content-type': 'application/json', 'retry-after': '120' });
    response.end(JSON.stringify({ success: false, message: 'Service temporarily unavailable, please retry later' }));
  });
  await new Promise<void>((resolve) => down.listen(0, '127.0.0.1', resolve));
  try {
    await ctx.site.task('set-option', { name: 'agentdesk_api_url', value: `http://127.0.0.1:${(down.address() as AddressInfo).port}/api` });
    const run = await ctx.site.task('cron');
    // recorded as unavailable, waiting the 120 s it was told, still scheduled
    assert.is(run.options.agentdesk_heartbeat_result.result, 'unavailable');
    assert.is(run.options.agentdesk_heartbeat_result.retry_after, 120);
    assert.ok(run.options._transient_agentdesk_retry_until >= Date.now() / 1000 + 100);
    assert.is(run.schedule, 'agentdesk_five_minutes');
    await ctx.site.task('cron');
    // the next due event sends nothing while the wait lasts
    assert.is(requests, 1);
    const page = await settingsPage(ctx);
    // the owner reads that it is temporary
    assert.match(page.text, 'AgentDesk is temporarily unavailable');
  } finally {
    await new Promise((resolve) => down.close(resolve));
  }
  const { html } = await saveSettings(ctx, { apiUrl: ctx.apiUrl });
  // saving clears the wait and reconnects
  assert.is(statusOf(html), 'Connected');
  assert.is((await ctx.site.task('state')).options._transient_agentdesk_retry_until, undefined);
});

it('WP-CLI: wp agentdesk status, heartbeat, disconnect, connect <token>, maintenance <minutes> and maintenance end', async (ctx) => {
  const status = await ctx.site.cli('status');
  // the connection at a glance, the token by its prefix only
  assert.is(status.exit, 0, status.output);
  assert.match(status.output, `API URL: ${ctx.apiUrl}`);
  assert.match(status.output, `Token: ${ctx.token.slice(0, 8)}…`);
  assert.match(status.output, 'Last attempt: ok (HTTP 200)');
  assert.not.ok(status.output.includes(ctx.token));

  const before = ctx.heartbeats.length;
  const heartbeat = await ctx.site.cli('heartbeat');
  // one heartbeat, and the answer in words
  assert.is(heartbeat.exit, 0, heartbeat.output);
  assert.match(heartbeat.output, 'Success: Connected: AgentDesk received the heartbeat.');
  assert.is(ctx.heartbeats.length, before + 1);

  const disconnect = await ctx.site.cli('disconnect');
  // the service is told (POST /bots/wordpress-disconnect, no heartbeat), then the token and schedule are gone
  assert.is(disconnect.exit, 0, disconnect.output);
  assert.is(ctx.heartbeats.length, before + 1);
  assert.is((await serviceBot(ctx))?.connection_status, 'disconnected');
  const gone = await ctx.site.task('state');
  assert.is(gone.options.agentdesk_api_token, undefined);
  assert.is(gone.next, false);
  const idle = await ctx.site.cli('heartbeat');
  // without a token nothing is sent, and the command says why
  assert.is(idle.exit, 1);
  assert.match(idle.output, 'No bot API token is saved');
  assert.is(ctx.heartbeats.length, before + 1);

  const wrong = await ctx.site.cli('connect', `bot_${'z'.repeat(43)}`);
  // a token the service does not know is refused and not stored
  assert.is(wrong.exit, 1);
  assert.match(wrong.output, 'AgentDesk did not accept this API token');
  assert.is((await ctx.site.task('state')).options.agentdesk_api_token, undefined);

  const connect = await ctx.site.cli('connect', ctx.token);
  // validated, stored, a heartbeat sent, scheduled: connected again
  assert.is(connect.exit, 0, connect.output);
  assert.match(connect.output, 'Success: Connected to the AgentDesk bot "Shop helper".');
  const state = await ctx.site.task('state');
  assert.is(state.options.agentdesk_api_token, ctx.token);
  assert.is(state.schedule, 'agentdesk_five_minutes');
  assert.is((await serviceBot(ctx))?.connection_status, 'connected');


  const maintenance = await ctx.site.cli('maintenance', '30', '--reason=theme deploy');
  // a window opened on the service with the bot token, its end printed
  assert.is(maintenance.exit, 0, maintenance.output);
  assert.match(maintenance.output, /Success: Maintenance window open until \d{4}-\d\d-\d\dT/);
  const inMaintenance = await serviceBot(ctx);
  assert.ok(inMaintenance?.one_off_maintenance_until, 'the service stored the window');
  assert.is(inMaintenance?.maintenance_reason, 'theme deploy');
  const tooLong = await ctx.site.cli('maintenance', '10081');
  // more than 7 days is refused before anything is sent
  assert.is(tooLong.exit, 1);
  assert.match(tooLong.output, 'minutes must be a whole number from 1 to 10080 (7 days)');

  const end = await ctx.site.cli('maintenance', 'end');
  // the deploy is over: the window ends on the service, as the owner's "End maintenance now" does
  assert.is(end.exit, 0, end.output);
  assert.match(end.output, 'Success: Maintenance ended');
  assert.is((await serviceBot(ctx))?.one_off_maintenance_until, null);
  const again = await ctx.site.cli('maintenance', 'end');
  // ending twice is not an error: nothing was running
  assert.is(again.exit, 0, again.output);
  assert.match(again.output, 'Success: Nothing to end');
});

it('AGENTDESK_API_TOKEN in wp-config.php is used, shown locked, and cannot be changed from the page or WP-CLI', async (ctx) => {
  await ctx.site.task('set-option', { name: 'agentdesk_api_token', value: '' });
  ctx.site.setExtraConfig(`define( 'AGENTDESK_API_TOKEN', '${ctx.token}' );`);
  try {
    const before = ctx.heartbeats.length;
    const run = await ctx.site.task('cron');
    // the constant's token is sent
    assert.is(ctx.heartbeats.length, before + 1);
    assert.is(ctx.heartbeats.at(-1)!.headers['x-bot-token'], ctx.token);
    assert.is(run.options.agentdesk_heartbeat_result.result, 'ok');
    const page = await settingsPage(ctx);
    // the field is locked, the token shown by its prefix only
    assert.match(page.text, /<input type="password" id="agentdesk_api_token" value="" class="regular-text" disabled="disabled" \/>/);
    assert.match(page.text, /id="agentdesk-token-locked">Set by AGENTDESK_API_TOKEN in wp-config.php \(<code>bot_[^<]{4}…<\/code>\)/);
    assert.not.ok(page.text.includes(ctx.token));
    const cli = await ctx.site.cli('connect', `bot_${'q'.repeat(43)}`);
    // WP-CLI points to wp-config.php
    assert.is(cli.exit, 1);
    assert.match(cli.output, 'set by AGENTDESK_API_TOKEN');
    assert.match((await ctx.site.cli('status')).output, '(AGENTDESK_API_TOKEN)');
  } finally {
    ctx.site.setExtraConfig('');
    await ctx.site.task('set-option', { name: 'agentdesk_api_token', value: ctx.token });
  }
});

it('refuses a settings POST without a valid nonce, and changes nothing', async (ctx) => {
  const page = await settingsPage(ctx);
  const hidden = formFields(page.text, 'options.php');
  const forged = await ctx.admin.request('/wp-admin/options.php', {
    form: { ...hidden, _wpnonce: 'forged', agentdesk_api_token: `bot_${'y'.repeat(43)}`, agentdesk_api_url: 'https://attacker.example/api' },
  });
  // WordPress's nonce check stops it
  assert.is(forged.status, 403);
  const state = await ctx.site.task('state');
  // the saved token and URL are untouched (saving the default API URL stored '': use the default)
  assert.is(state.options.agentdesk_api_token, ctx.token);
  assert.is(state.options.agentdesk_api_url, '');
});

it('refuses a private or loopback API URL unless wp-config.php allows it, and sends nothing to one saved before', async (ctx) => {
  ctx.site.allowPrivateApi(false);
  try {
    const saved = await saveSettings(ctx, { apiUrl: 'http://10.20.30.40/api' });
    // the page says why, and the default stays
    assert.match(saved.html, 'points at a private or loopback address');
    assert.is((await ctx.site.task('state')).options.agentdesk_api_url, '');
    // one saved earlier (or through a name that now resolves to loopback) is not called
    await ctx.site.task('set-option', { name: 'agentdesk_api_url', value: 'http://localhost:9/api' });
    const before = ctx.site.httpRequests().length;
    const cli = await ctx.site.cli('heartbeat');
    assert.is(cli.exit, 1);
    assert.match(cli.output, 'private or loopback address');
    assert.is(ctx.site.httpRequests().length, before);
  } finally {
    ctx.site.allowPrivateApi(true);
    await ctx.site.task('set-option', { name: 'agentdesk_api_url', value: '' });
  }
});

it('deactivating sends a final is_active false: the service shows "deactivated", the event is cleared', async (ctx) => {
  const state = await ctx.site.task('deactivate');
  const sent = ctx.heartbeats.at(-1)!;
  // the last heartbeat said inactive
  assert.is(sent.body.is_active, false);
  assert.is(state.active, false);
  assert.is(state.next, false);
  // the service knows
  assert.is((await serviceBot(ctx))?.connection_status, 'deactivated');
});

it('reactivating resumes the heartbeat at once', async (ctx) => {
  const state = await ctx.site.task('activate');
  // connected again, scheduled again
  assert.is(state.active, true);
  assert.is(state.schedule, 'agentdesk_five_minutes');
  assert.is((await serviceBot(ctx))?.connection_status, 'connected');
});

it('the updater offers the newer version the service announces, with its details and zip', async (ctx) => {
  const check = await ctx.site.task('update-check');
  // installed is the repository's version; the service announces 99.0.0 from its plugin folder
  assert.is(check.installed, installedVersion);
  assert.is(check.update?.new_version, '99.0.0');
  assert.is(check.update?.package, `${ctx.apiUrl}/wordpress/plugin/download`);
  assert.is(check.update?.requires_php, '7.4');
  // "View version details"
  assert.is(check.info.version, '99.0.0');
  assert.match(check.info.sections.changelog, '<h4>99.0.0</h4>');
  const plugins = await ctx.admin.request('/wp-admin/plugins.php');
  // WordPress's own Plugins screen shows the update
  assert.match(plugins.text, /There is a new version of AgentDesk Chatbot available/);
  const zip = await fetch(check.update.package);
  // the package URL serves the zip
  assert.is(zip.headers.get('content-type'), 'application/zip');
});

it('refuses an http:// package while the API URL is https://, and allows it when the API URL is http:// too', async (ctx) => {
  const host = new URL(ctx.apiUrl).host;
  const zip = `http://${host}/api/wordpress/plugin/download`;
  try {
    const https = await ctx.site.task('package-policy', { api_url: `https://${host}/api`, download_url: zip });
    // offered without a package (WordPress says to update by hand), and the download step refuses it
    assert.is(https.package, '');
    assert.is(https.download, 'agentdesk_insecure_package');
    const http = await ctx.site.task('package-policy', { api_url: ctx.apiUrl, download_url: zip });
    // an http service: the package is offered (and its download reaches the checksum check)
    assert.is(http.package, zip);
    assert.is(http.download, 'agentdesk_checksum_mismatch');
  } finally {
    await ctx.site.task('set-option', { name: 'agentdesk_api_url', value: ctx.apiUrl });
  }
});

it('installs the update for real, from the service on a private address and an unusual port, checksum and signature verified', async (ctx) => {
  const tampered = await ctx.site.task('upgrade', { tamper: true });
  // a package whose SHA-256 is not the published one is refused, and nothing changes
  assert.is(tampered.result, false);
  assert.match(tampered.messages.join('\n'), 'the downloaded file does not match the checksum the service published');
  assert.is(tampered.installed, installedVersion);
  const forged = await ctx.site.task('upgrade', { tamper: 'zip' });
  // a changed zip announced with its own SHA-256 fails the Ed25519 signature, with words that say so
  assert.is(forged.result, false);
  assert.match(forged.messages.join('\n'), 'is not signed by the AgentDesk service this plugin came from');
  assert.is(forged.installed, installedVersion);

  const port = new URL(ctx.apiUrl).port;
  const safe = await ctx.site.task('safe-urls', {
    urls: [`${ctx.apiUrl}/wordpress/plugin/download`, `http://127.0.0.3:${port}/x.zip`, `http://10.0.0.1:${port}/x.zip`, `http://127.0.0.1:${port}/x.zip`, `${new URL(ctx.apiUrl).origin}/xmlrpc.php`],
  });
  // wp_safe_remote_get's check lets exactly the service's API URLs through: no other private
  // address or port, nor another path on the service's host (a pingback, say)
  assert.equal(safe.valid, [true, false, false, false, false]);

  const upgraded = await ctx.site.task('upgrade');
  // wp_safe_remote_get reached 127.0.0.2:<port> (the service's host only) and the zip installed
  assert.is(upgraded.result, true, JSON.stringify(upgraded.messages));
  assert.is(upgraded.installed, '99.0.0');
  assert.is(upgraded.active, true);
  const main = readFileSync(`${ctx.site.root}/wp-content/plugins/agentdesk-chatbot/agentdesk-chatbot.php`, 'utf8');
  // the installed copy is the service's direct build: its default API URL is the service
  assert.match(main, `define( 'AGENTDESK_API_URL', '${ctx.apiUrl}' );`);
  const run = await ctx.site.task('cron');
  // and it works: the next heartbeat reports the new version
  assert.is(run.options.agentdesk_heartbeat_result.result, 'ok');
  assert.is(ctx.heartbeats.at(-1)!.body.plugin_version, '99.0.0');
});

it('the plugin\'s own PHP tests pass inside this WordPress on the system\'s PHP, with the service\'s own signed zip', async (ctx) => {
  const info = await (await fetch(`${ctx.apiUrl}/wordpress/plugin/info`)).json();
  const zip = Buffer.from(await (await fetch(`${ctx.apiUrl}/wordpress/plugin/download`)).arrayBuffer());
  const updater = readFileSync(`${ctx.site.root}/wp-content/plugins/agentdesk-chatbot/includes/class-agentdesk-updater.php`, 'utf8');
  const fixture = path.join(ctx.site.root, 'php-tests-fixture.json');
  writeFileSync(fixture, JSON.stringify({ zip: zip.toString('base64'), signature: info.signature, public_key: /const PUBLIC_KEY = '([^']*)';/.exec(updater)?.[1] }));
  // the tests check the address rule as a site without AGENTDESK_ALLOW_PRIVATE_API has it
  ctx.site.allowPrivateApi(false);
  process.env.AGENTDESK_TEST_FIXTURE = fixture;
  try {
    const result = await ctx.site.task('php-tests');
    assert.equal(result.failures, []);
    assert.ok(result.passed >= 40, `only ${result.passed} checks ran`);
  } finally {
    delete process.env.AGENTDESK_TEST_FIXTURE;
    ctx.site.allowPrivateApi(true);
  }
  const state = await ctx.site.task('state');
  // and the site's own settings are as they were
  assert.is(state.options.agentdesk_api_token, ctx.token);
});

it('a 429 with Retry-After makes the plugin wait before the next heartbeat', async (ctx) => {
  let limited: Response | undefined;
  for (let i = 0; i <= RATE_LIMIT && !limited; i++) {
    const response = await fetch(`${ctx.apiUrl}/bots/wordpress-heartbeat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-bot-token': ctx.token },
      body: JSON.stringify({ site_url: ctx.site.url, plugin_version: installedVersion, wp_version: '6.1.9', is_active: true }),
    });
    if (response.status === 429) limited = response;
  }
  // the service's per-token limit is reached
  assert.ok(limited, 'no 429 from the service');
  const run = await ctx.site.task('cron');
  // recorded with the wait the service asked for
  assert.is(run.options.agentdesk_heartbeat_result.result, 'rate_limited');
  assert.ok(run.options.agentdesk_heartbeat_result.retry_after > 0);
  assert.ok(run.options._transient_agentdesk_retry_until > Date.now() / 1000);
  const counted = ctx.heartbeatRequests;
  await ctx.site.task('cron');
  // while waiting, the event sends nothing
  assert.is(ctx.heartbeatRequests, counted);
  const page = await settingsPage(ctx);
  // and the page explains it
  assert.match(page.text, 'AgentDesk asked this site to slow down');
});

it('uninstalling deletes every option, transient and event of the plugin', async (ctx) => {
  await ctx.site.task('deactivate');
  const state = await ctx.site.task('uninstall');
  // nothing named agentdesk is left in wp_options, no cron event
  assert.equal(Object.keys(state.options), []);
  assert.not.ok(state.cron_hooks.includes('agentdesk_heartbeat_event'));
});

it('logged no PHP warning or notice from the plugin', async (ctx) => {
  const log = readDebugLog(ctx.site);
  const ours = log.split('\n').filter((line) => line.includes('plugins/agentdesk-chatbot/') || /Fatal/i.test(line));
  // WordPress's debug.log has nothing from the plugin
  assert.equal(ours, []);
});

test.run();
