// A real browser (Debian's chromium through playwright-core) goes through the dashboard as a new
// owner would: sign up, create a bot, read its token, send a heartbeat with it over HTTP, and watch
// the bot page and the list turn Connected without a reload. Screenshot: test-output/bot-page.png.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Browser } from 'playwright-core';
import { buildTestApp, heartbeatBody } from '../helpers/app.ts';
import { browserSuiteCanRun, launchChromium, listenOnLoopback } from '../helpers/browser.ts';

const OUTPUT = fileURLToPath(new URL('../../test-output/', import.meta.url));

type Ctx = Awaited<ReturnType<typeof buildTestApp>> & { browser: Browser; base: string };
const test = suite<Ctx>('dashboard in a real browser');

const available = browserSuiteCanRun('dashboard in a real browser');

test.before(async (ctx) => {
  // Polling every second instead of 30 so the test sees the change quickly.
  Object.assign(ctx, await buildTestApp({ dashboard: { pollSeconds: 1 } }));
  ctx.base = await listenOnLoopback(ctx.app);
  ctx.browser = await launchChromium();
});
test.after(async (ctx) => {
  await ctx.browser?.close();
  await ctx.app?.close();
});

test('a new owner signs up, creates a bot, and sees it turn Connected without reloading', async (ctx) => {
  const context = await ctx.browser.newContext();
  const page = await context.newPage();
  const scriptErrors: string[] = [];
  page.on('pageerror', (error) => scriptErrors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') scriptErrors.push(message.text());
  });

  await page.goto(`${ctx.base}/signup`);
  await page.fill('input[name=name]', 'Browser Owner');
  await page.fill('input[name=email]', `browser-${Date.now()}@example.test`);
  await page.fill('input[name=password]', 'a long password');
  await page.selectOption('select[name=timezone]', 'Europe/Paris');
  await page.click('button[type=submit]');
  await page.waitForURL(`${ctx.base}/bots`);
  // the empty dashboard
  assert.ok(await page.isVisible('text=You have no bot yet'));

  await page.click('a[href="/bots/new"] >> nth=0');
  await page.waitForURL(`${ctx.base}/bots/new`);
  await page.fill('input[name=name]', '<img src=x onerror=alert(1)> shop');
  await page.click('form[action="/bots"] button[type=submit]');
  await page.waitForSelector('#bot-token');
  const token = (await page.textContent('#bot-token'))!.trim();
  // the token is shown once, in full
  assert.match(token, /^bot_[A-Za-z0-9_-]{43}$/);

  await page.click('text=Go to the bot page');
  await page.waitForSelector('#bot-status [data-status="never"]');
  const botUrl = page.url();
  // the bot page of a bot that never connected has the setup help
  assert.match(botUrl, /\/bots\/[0-9a-f-]{36}$/);
  assert.ok(await page.isVisible('text=not connected to a WordPress site yet'));
  // the name with markup is text, not an image
  assert.is(await page.locator('h1').textContent(), '<img src=x onerror=alert(1)> shop');
  assert.is(await page.locator('main img').count(), 0);

  // The list, in a second tab, also waiting for the heartbeat.
  const list = await context.newPage();
  await list.goto(`${ctx.base}/bots`);
  await list.waitForSelector('#bot-list [data-status="never"]');

  await page.evaluate(() => ((window as unknown as { marker: string }).marker = 'same page'));
  await list.evaluate(() => ((window as unknown as { marker: string }).marker = 'same page'));
  const response = await fetch(`${ctx.base}/api/bots/wordpress-heartbeat`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-bot-token': token },
    body: JSON.stringify(heartbeatBody({ site_url: 'https://browser-shop.example', plugin_version: '1.1.0', wp_version: '6.4.2' })),
  });
  // the heartbeat is accepted
  assert.is(response.status, 200);

  await page.waitForSelector('#bot-status [data-status="connected"]', { timeout: 15_000 });
  // the bot page turned Connected by itself: same document, same URL
  assert.is(await page.evaluate(() => (window as unknown as { marker?: string }).marker), 'same page');
  assert.is(page.url(), botUrl);
  // with the clickable site, the versions and the last sync
  assert.is(await page.getAttribute('#bot-status a[href^="https://browser-shop.example"]', 'target'), '_blank');
  const status = (await page.textContent('#bot-status'))!;
  assert.match(status, /1\.1\.0/);
  assert.match(status, /6\.4\.2/);
  assert.match(status, /just now|minute/);
  // the activity block follows: the connection event appears, still without a reload
  await page.waitForSelector('#bot-activity table.events', { timeout: 15_000 });
  assert.match((await page.textContent('#bot-activity'))!, /Not connected → Connected/);

  await list.waitForSelector('#bot-list [data-status="connected"]', { timeout: 15_000 });
  // the list too, without a reload
  assert.is(await list.evaluate(() => (window as unknown as { marker?: string }).marker), 'same page');
  assert.ok(await list.isVisible('#bot-list >> text=https://browser-shop.example'));

  fs.mkdirSync(OUTPUT, { recursive: true });
  await page.screenshot({ path: path.join(OUTPUT, 'bot-page.png'), fullPage: true });
  // no script error (a CSP violation would show up here)
  assert.equal(scriptErrors, []);
  await context.close();
});

if (available) test.run();
