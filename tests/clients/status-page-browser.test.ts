// A client's status page in a real browser (Debian's chromium through playwright-core): readable
// without JavaScript, and with it htmx refreshes the sites by itself when one comes back.
// Screenshot: test-output/status-page.png.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Browser } from 'playwright-core';
import { buildTestApp, createBotFor, createOwner, postHeartbeat } from '../helpers/app.ts';
import { browserSuiteCanRun, launchChromium, listenOnLoopback } from '../helpers/browser.ts';

const OUTPUT = fileURLToPath(new URL('../../test-output/', import.meta.url));

type Ctx = Awaited<ReturnType<typeof buildTestApp>> & { browser: Browser; base: string };
const test = suite<Ctx>('a status page in a real browser');

const available = browserSuiteCanRun('a status page in a real browser');

test.before(async (ctx) => {
  Object.assign(ctx, await buildTestApp());
  ctx.base = await listenOnLoopback(ctx.app);
  ctx.browser = await launchChromium();
});
test.after(async (ctx) => {
  await ctx.browser?.close();
  await ctx.app?.close();
});

test('the page reads without JavaScript, and refreshes itself with it', async (ctx) => {
  const owner = await createOwner(ctx.db);
  const auth = { authorization: `Bearer ${owner.apiKey}`, 'content-type': 'application/json' };
  const client = (await ctx.app.inject({ method: 'POST', url: '/api/clients', headers: auth, payload: { name: 'Bakery Ltd' } })).json();
  const shop = await createBotFor(ctx.db, owner.user.id, { name: 'Bakery shop' });
  await ctx.app.inject({ method: 'PUT', url: `/api/bots/${shop.bot.id}`, headers: auth, payload: { client_id: client.id } });
  await postHeartbeat(ctx.app, shop.token);
  await ctx.db.query("UPDATE bots SET connection_status = 'stale', wordpress_connected = false, diagnosis = 'plugin_silent' WHERE id = $1", [shop.bot.id]);
  const { url } = (await ctx.app.inject({ method: 'POST', url: `/api/clients/${client.id}/status-page`, headers: auth, payload: {} })).json();
  const pageUrl = `${ctx.base}${new URL(url).pathname}`;

  const plain = await ctx.browser.newContext({ javaScriptEnabled: false });
  const noScript = await plain.newPage();
  await noScript.goto(pageUrl);
  // without JavaScript: the state, the diagnosis and the 90 bars are all there
  assert.is(await noScript.textContent('#overall'), 'Some sites are down');
  assert.match((await noScript.textContent('.incidents')) ?? '', /Bakery shop is down.*its AgentDesk plugin has stopped reporting/);
  assert.is(await noScript.locator('.bar').count(), 90);
  assert.is((await plain.cookies()).length, 0);
  await plain.close();

  const scripted = await ctx.browser.newContext();
  const page = await scripted.newPage();
  const scriptErrors: string[] = [];
  page.on('pageerror', (error) => scriptErrors.push(error.message));
  await page.clock.install();
  await page.goto(pageUrl);
  fs.mkdirSync(OUTPUT, { recursive: true });
  await page.screenshot({ path: path.join(OUTPUT, 'status-page.png'), fullPage: true });
  // the site comes back; a minute later the page says so without a reload
  await postHeartbeat(ctx.app, shop.token);
  const refreshed = page.waitForResponse((response) => response.url().endsWith('/sites'));
  await page.clock.runFor(61_000);
  await refreshed;
  await page.waitForSelector('.incidents', { state: 'detached' });
  assert.match((await page.textContent('.status-sites')) ?? '', /Operational/);
  assert.is(await page.textContent('#overall'), 'All sites are operational');
  assert.equal(scriptErrors, []);
  await scripted.close();
});

if (available) test.run();
