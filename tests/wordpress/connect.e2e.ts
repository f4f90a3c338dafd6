// `npm run test:wordpress`: one-click connect, disconnect and copies of a site, end to end: a real
// WordPress (Debian's package, MariaDB, php -S), the real service (sweep, outbox, SMTP sink, on an
// explicit clock) on another loopback host, and Debian's Chromium driving both over plain HTTP as a
// site owner would. docs/wordpress-plugin.md "Connect" and docs/contract.md "Connect".
// test-runner: alone — a WordPress, the service and a real browser at once
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createAlertHarness, resetAlertData, STALE_AFTER_MS, startSmtpSink, type AlertHarness, type SmtpSink } from '../alerts/alert-harness.ts';
import { createOwner } from '../helpers/app.ts';
import { freePort, whenAvailable } from '../helpers/system.ts';
import { readDebugLog, startWordPress, wordpressUnavailable, type WordPressSite } from './wordpress-site.ts';

const CHROMIUM = '/usr/bin/chromium';
const PASSWORD = 'e2e-connect-password';
const SERVICE_HOST = '127.0.0.2';
const MINUTE = 60_000;

interface Ctx {
  h: AlertHarness;
  smtp: SmtpSink;
  service: string;
  site: WordPressSite;
  owner: { id: string; email: string; password: string };
  browser: Browser;
  context: BrowserContext;
  page: Page;
  botId: string;
}

const test = suite<Ctx>('WordPress: one-click connect, disconnect and copies');
const missing = wordpressUnavailable() ?? (existsSync(CHROMIUM) ? undefined : `${CHROMIUM} is not installed (apt-get install chromium)`);
const it = whenAvailable(test, missing);


test.before(async (ctx) => {
  if (missing) return;
  ctx.smtp = await startSmtpSink();
  // PUBLIC_URL is the plain-HTTP address the service listens on (another private host than the site's).
  const port = await freePort(SERVICE_HOST);
  ctx.service = `http://${SERVICE_HOST}:${port}`;
  ctx.h = await createAlertHarness({ smtp: ctx.smtp, env: { PUBLIC_URL: ctx.service } });
  await resetAlertData(ctx.h.db);
  await ctx.h.app.listen({ host: SERVICE_HOST, port });
  const owner = await createOwner(ctx.h.db);
  ctx.owner = { id: owner.user.id, email: owner.user.email, password: owner.password };
  ctx.site = await startWordPress({ apiUrl: `${ctx.service}/api` });
  await ctx.site.task('install', { password: PASSWORD });
  await ctx.site.task('activate');
  const { chromium } = await import('playwright-core');
  ctx.browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
  ctx.context = await ctx.browser.newContext();
  ctx.page = await ctx.context.newPage();
});

test.after(async (ctx) => {
  await ctx.browser?.close();
  await ctx.site?.close();
  await ctx.h?.close();
  await ctx.smtp?.close();
});

const settingsUrl = (ctx: Ctx) => `${ctx.site.url}/wp-admin/options-general.php?page=agentdesk`;
const text = async (page: Page, selector: string) => ((await page.textContent(selector)) ?? '').trim();

async function serviceBot(ctx: Ctx) {
  const { rows } = await ctx.h.db.query<{ id: string; name: string; connection_status: string; wordpress_site_url: string | null; beats: number }>(
    `SELECT b.id, b.name, b.connection_status, b.wordpress_site_url,
            (SELECT coalesce(sum(count), 0)::int FROM heartbeat_hours h WHERE h.bot_id = b.id) AS beats
     FROM bots b WHERE b.user_id = $1 ORDER BY b.created_at`,
    [ctx.owner.id],
  );
  return rows;
}

/** The heartbeat requests the site made, as WordPress's HTTP API was asked for them. */
const heartbeatRequests = (ctx: Ctx) => ctx.site.httpRequests().filter((r) => r.url.endsWith('/bots/wordpress-heartbeat')).length;

it('a site owner connects with one click: wp-admin, log in to the service, approve, back "Connected", first heartbeat received', async (ctx) => {
  const { page } = ctx;
  await page.goto(`${ctx.site.url}/wp-login.php`);
  await page.fill('#user_login', 'admin');
  await page.fill('#user_pass', PASSWORD);
  await Promise.all([page.waitForURL(`${ctx.site.url}/wp-admin/`), page.click('#wp-submit')]);
  // after activation without a connection: the "finish connecting" notice and the widget say so
  assert.match(await text(page, '#agentdesk-notice-setup'), 'Finish connecting AgentDesk');
  assert.is(await text(page, '#agentdesk-widget-status'), 'Not connected');
  assert.is(heartbeatRequests(ctx), 0);

  await page.goto(settingsUrl(ctx));
  const returns: string[] = [];
  page.on('request', (request) => {
    if (request.url().includes('action=agentdesk_connect_return')) returns.push(request.url());
  });
  await Promise.all([page.waitForURL(`${ctx.service}/login?**`), page.click('#agentdesk-connect-button')]);
  await page.fill('input[name=email]', ctx.owner.email);
  await page.fill('input[name=password]', ctx.owner.password);
  await Promise.all([page.waitForURL(`${ctx.service}/connect?**`), page.click('form[action="/login"] button[type=submit]')]);
  // the approval page names this site and offers a new bot named after it
  assert.match(await text(page, '#connect h1'), `Connect ${ctx.site.url}`);
  assert.ok(await page.isChecked('input[name=bot_id][value=new]'));
  await Promise.all([page.waitForURL(`${settingsUrl(ctx)}&agentdesk-connect=1`), page.click('#connect-approve')]);

  assert.is(await text(page, '#agentdesk-status'), 'Connected');
  assert.match(await text(page, '#agentdesk-connect-result'), 'The first heartbeat was received');
  const [bot] = await serviceBot(ctx);
  assert.ok(bot, 'a bot was created for the site');
  ctx.botId = bot!.id;
  assert.is(bot!.name, new URL(ctx.site.url).host);
  assert.is(bot!.connection_status, 'connected');
  assert.is(bot!.wordpress_site_url, ctx.site.url);
  assert.is(bot!.beats, 1);
  // the browser came back once, with a code and the state the plugin had sent
  assert.is(returns.length, 1);
  const back = new URL(returns[0]!);
  assert.ok(back.searchParams.get('code'));
  assert.ok(back.searchParams.get('state'));

  // the link replayed finds no state (one use) and changes nothing
  await page.goto(returns[0]!);
  assert.match(await text(page, '#agentdesk-connect-result'), 'was not started from this page');
  assert.is((await serviceBot(ctx)).length, 1);

  // the dashboard no longer asks to finish connecting; its widget shows the connection
  await page.goto(`${ctx.site.url}/wp-admin/`);
  assert.is(await page.locator('#agentdesk-notice-setup').count(), 0);
  assert.is(await text(page, '#agentdesk-widget-status'), 'Connected');
  assert.not.match(await text(page, '#agentdesk-widget-last-heartbeat'), 'Never');
});

it('Disconnect: the token is gone from the site, the bot shows disconnected, and no mail follows past STALE_AFTER', async (ctx) => {
  const { page } = ctx;
  await page.goto(settingsUrl(ctx));
  await Promise.all([page.waitForURL(`${settingsUrl(ctx)}&agentdesk-connect=1`), page.click('#agentdesk-disconnect-button')]);
  assert.is(await text(page, '#agentdesk-status'), 'Not connected');
  assert.is((await ctx.site.task('state')).options.agentdesk_api_token, undefined);
  assert.is((await serviceBot(ctx))[0]!.connection_status, 'disconnected');

  ctx.h.clock.advance(STALE_AFTER_MS + 5 * MINUTE);
  const swept = await ctx.h.sweepAndDeliver();
  assert.is(swept.flipped, 0);
  assert.is(ctx.smtp.received.length, 0);
  // the bot page says it plainly (the browser is still logged in to the service)
  await page.goto(`${ctx.service}/bots/${ctx.botId}`);
  assert.ok(await page.isVisible('#bot-status [data-status=disconnected]'));
  assert.match(await text(page, '#bot-disconnected'), 'The site disconnected');
});

it('a rotated token pasted through `wp agentdesk connect` reconnects the site', async (ctx) => {
  const { page } = ctx;
  await page.goto(`${ctx.service}/bots/${ctx.botId}`);
  await Promise.all([page.waitForURL(`${ctx.service}/bots/${ctx.botId}/rotate-token`), page.click('form[action$="/rotate-token"] button[type=submit]')]);
  const token = await text(page, '#bot-token');
  const connected = await ctx.site.cli('connect', token);
  assert.is(connected.exit, 0, connected.output);
  const [bot] = await serviceBot(ctx);
  assert.is(bot!.connection_status, 'connected');
  assert.is(bot!.beats, 2);
});

it('a copy with another home_url, or a staging copy, sends nothing and says whose copy it is', async (ctx) => {
  const { page } = ctx;
  const clone = path.join(ctx.site.root, 'wp-content', 'mu-plugins', 'e2e-clone.php');
  const copyHome = ctx.site.url.replace('127.0.0.1', 'localhost');
  writeFileSync(clone, `<?php\nadd_filter( 'option_home', function () { return '${copyHome}'; }, 100 );\n`);
  const before = heartbeatRequests(ctx);
  await ctx.site.task('cron');
  const refused = await ctx.site.cli('heartbeat');
  // WP-CLI says why it sends nothing
  assert.is(refused.exit, 1);
  assert.match(refused.output, `This looks like a copy of ${ctx.site.url}`);
  assert.match((await ctx.site.cli('status')).output, `Copy of: ${ctx.site.url} (nothing is sent)`);
  // neither WP-Cron nor WP-CLI asked WordPress for a heartbeat request
  assert.is(heartbeatRequests(ctx), before);
  assert.is((await serviceBot(ctx))[0]!.beats, 2);
  await page.goto(settingsUrl(ctx));
  assert.match(await text(page, '#agentdesk-copy'), `This looks like a copy of ${ctx.site.url}: connect it as its own site, or keep it silent`);
  await page.goto(`${ctx.site.url}/wp-admin/`);
  assert.match(await text(page, '#agentdesk-notice-copy'), `This looks like a copy of ${ctx.site.url}`);
  assert.is(await text(page, '#agentdesk-widget-status'), 'Silent copy');
  // "Keep it silent" dismisses the notice for this administrator
  await Promise.all([page.waitForURL(`${ctx.site.url}/wp-admin/`), page.click('#agentdesk-notice-copy a.agentdesk-dismiss')]);
  assert.is(await page.locator('#agentdesk-notice-copy').count(), 0);
  rmSync(clone);

  // a staging copy of the production site it was connected as: silent too
  ctx.site.setExtraConfig("define( 'WP_ENVIRONMENT_TYPE', 'staging' );");
  await ctx.site.task('cron');
  assert.is(heartbeatRequests(ctx), before);
  ctx.site.setExtraConfig('');

  // the original, at its own address and in production, reports again
  await ctx.site.task('cron');
  assert.is(heartbeatRequests(ctx), before + 1);
  assert.is((await serviceBot(ctx))[0]!.beats, 3);
});

it('notices: a failed heartbeat with its reason, an overdue one and WP-Cron off with copyable crontab lines; dismissible, and gone once fixed', async (ctx) => {
  const { page } = ctx;
  // the service unreachable: the next heartbeat fails, and every admin page says why
  await ctx.site.task('set-option', { name: 'agentdesk_api_url', value: `http://${SERVICE_HOST}:1/api` });
  await ctx.site.task('cron');
  await page.goto(`${ctx.site.url}/wp-admin/`);
  assert.match(await text(page, '#agentdesk-notice-heartbeat'), 'The last AgentDesk heartbeat failed: Could not reach AgentDesk');
  await Promise.all([page.waitForURL(`${ctx.site.url}/wp-admin/`), page.click('#agentdesk-notice-heartbeat a.agentdesk-dismiss')]);
  // dismissed for this administrator
  assert.is(await page.locator('#agentdesk-notice-heartbeat').count(), 0);
  await ctx.site.task('set-option', { name: 'agentdesk_api_url', value: '' });
  await ctx.site.task('cron');
  // fixed: the notice does not come back
  await page.goto(`${ctx.site.url}/wp-admin/`);
  assert.is(await page.locator('#agentdesk-notice-heartbeat').count(), 0);

  // DISABLE_WP_CRON and nothing has run the due heartbeat for two hours
  await ctx.site.task('make-overdue', { seconds: 7200 });
  try {
    await page.goto(`${ctx.site.url}/wp-admin/`);
    assert.match(await text(page, '#agentdesk-notice-heartbeat'), 'The AgentDesk heartbeat is overdue by 2 hours');
    assert.match(await text(page, '#agentdesk-notice-cron'), 'WP-Cron is disabled on this site');
    assert.is(await page.inputValue('#agentdesk-crontab-http'), `*/5 * * * * curl -fsS -o /dev/null '${ctx.site.url}/wp-cron.php?doing_wp_cron'`);
    assert.match(await page.inputValue('#agentdesk-crontab-cli'), "&& wp cron event run --due-now --quiet");
  } finally {
    await ctx.site.task('make-overdue', { seconds: -300 });
  }
  await page.goto(`${ctx.site.url}/wp-admin/`);
  assert.is(await page.locator('#agentdesk-notice-cron').count(), 0);
  assert.is(await page.locator('#agentdesk-notice-heartbeat').count(), 0);
});

it('`wp agentdesk disconnect` tells the service too', async (ctx) => {
  const out = await ctx.site.cli('disconnect');
  assert.is(out.exit, 0, out.output);
  assert.is((await serviceBot(ctx))[0]!.connection_status, 'disconnected');
  const requests = ctx.site.httpRequests();
  assert.ok(requests.at(-1)!.url.endsWith('/bots/wordpress-disconnect'));
});

it('no PHP notice or warning from the plugin in debug.log', async (ctx) => {
  const ours = readDebugLog(ctx.site)
    .split('\n')
    .filter((line) => line.includes('plugins/agentdesk-chatbot/') || /Fatal/i.test(line));
  assert.equal(ours, []);
});

test.run();
