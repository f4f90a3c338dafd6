// The plugin's disconnect and copies of a site (docs/contract.md "Connection status" and
// "Connect"): a disconnected bot is never stale and mails nobody, is counted in the metrics and
// shown plainly; the next heartbeat reconnects it. A copy reporting with the site's token is
// recorded as such and no longer moves the bot's site URL back and forth.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { listConnectionEvents } from '../../src/db/bots.ts';
import { createOwner } from '../helpers/app.ts';
import { loggedIn } from '../helpers/dashboard.ts';
import { STALE_AFTER_MS, useAlertSuite, type AlertHarness, type SmtpSink } from '../alerts/alert-harness.ts';

const MINUTE = 60_000;
type Ctx = { h: AlertHarness; smtp: SmtpSink };
const test = suite<Ctx>('disconnect and copies of a site');
useAlertSuite(test);

const disconnect = (h: AlertHarness, token: string | undefined) =>
  h.app.inject({ method: 'POST', url: '/api/bots/wordpress-disconnect', headers: token ? { 'x-bot-token': token } : {} });

async function ownerWithBrowser(h: AlertHarness) {
  const owner = await createOwner(h.db);
  return { owner, b: await loggedIn(h.app, owner.user.email, owner.password) };
}

test('a disconnected site gets no stale mail past STALE_AFTER, while a silent connected one does', async ({ h, smtp }) => {
  const { owner, b } = await ownerWithBrowser(h);
  const gone = await h.connectedBot(owner.user.id, 'Gone shop');
  await h.connectedBot(owner.user.id, 'Silent blog');
  const answer = await disconnect(h, gone.token);
  assert.is(answer.statusCode, 200, answer.body);
  h.clock.advance(STALE_AFTER_MS + 5 * MINUTE);
  const swept = await h.sweepAndDeliver();
  // only the connected one went stale and was mailed about
  assert.is(swept.flipped, 1);
  assert.is(smtp.received.length, 1);
  assert.match(smtp.received[0]!.text, 'Silent blog');
  assert.not.match(smtp.received[0]!.text, 'Gone shop');
  const json = (await b.api('GET', `/api/bots/${gone.bot.id}`)).json();
  assert.is(json.connection_status, 'disconnected');
  const events = await listConnectionEvents(h.db, gone.bot.id);
  assert.is(events[0]!.to_status, 'disconnected');
  assert.is(events[0]!.reason, 'plugin_disconnected');
  // the bot page says it plainly
  const page = await b.get(`/bots/${gone.bot.id}`);
  assert.match(page.body, 'data-status="disconnected"');
  assert.match(page.body, 'id="bot-disconnected"');
  // and the list can be filtered by it
  const list = await b.get('/bots?status=disconnected');
  assert.match(list.body, 'Gone shop');
  assert.not.match(list.body, 'Silent blog');
});

test('a stale site that disconnects gets no recovery mail and no reminder', async ({ h, smtp }) => {
  const owner = await createOwner(h.db);
  const site = await h.connectedBot(owner.user.id, 'Went quiet');
  h.clock.advance(STALE_AFTER_MS + MINUTE);
  await h.sweepAndDeliver();
  // the stale mail went out
  assert.is(smtp.received.length, 1);
  assert.is((await disconnect(h, site.token)).statusCode, 200);
  await h.sweepAndDeliver();
  h.clock.advance(2 * 24 * 60 * MINUTE);
  await h.sweepAndDeliver();
  // neither "back again" nor a reminder: the site said it left
  assert.is(smtp.received.length, 1);
  const { rows } = await h.db.query<{ closed_to_status: string | null }>('SELECT closed_to_status FROM alert_episodes WHERE bot_id = $1', [site.bot.id]);
  assert.equal(rows.map((row) => row.closed_to_status), ['disconnected']);
});

test('the next heartbeat reconnects a disconnected site; disconnecting twice writes one event', async ({ h }) => {
  const { owner, b } = await ownerWithBrowser(h);
  const site = await h.connectedBot(owner.user.id, 'Back again');
  await disconnect(h, site.token);
  assert.is((await disconnect(h, site.token)).statusCode, 200);
  const flips = (await listConnectionEvents(h.db, site.bot.id)).filter((e) => e.to_status === 'disconnected');
  assert.is(flips.length, 1);
  h.clock.advance(MINUTE);
  assert.is((await h.heartbeat(site.token, { site_url: 'https://back-again.example.com' })).statusCode, 200);
  assert.is((await b.api('GET', `/api/bots/${site.bot.id}`)).json().connection_status, 'connected');
});

test('disconnect needs the bot token: none or an unknown one is 401, a disabled bot 403 and unchanged', async ({ h }) => {
  const { owner, b } = await ownerWithBrowser(h);
  assert.is((await disconnect(h, undefined)).statusCode, 401);
  assert.is((await disconnect(h, `bot_${'x'.repeat(43)}`)).statusCode, 401);
  const site = await h.connectedBot(owner.user.id, 'Switched off');
  await b.api('PUT', `/api/bots/${site.bot.id}`, { is_active: false }, { 'x-csrf-token': b.csrf! });
  const refused = await disconnect(h, site.token);
  assert.is(refused.statusCode, 403);
  const { rows } = await h.db.query<{ connection_status: string }>('SELECT connection_status FROM bots WHERE id = $1', [site.bot.id]);
  assert.is(rows[0]!.connection_status, 'connected');
});

test('disconnected bots are counted in agentdesk_connections', async ({ h }) => {
  const owner = await createOwner(h.db);
  for (const name of ['One', 'Two']) {
    const site = await h.connectedBot(owner.user.id, `Counted ${name}`);
    await disconnect(h, site.token);
  }
  const metrics = await h.app.inject({ method: 'GET', url: '/metrics' });
  assert.match(metrics.body, /agentdesk_connections\{status="disconnected"\} 2\n/);
});

test('a copy reporting while the site still reports is recorded as a copy; the site URL stays, without flip-flopping', async ({ h }) => {
  const { owner, b } = await ownerWithBrowser(h);
  const site = await h.connectedBot(owner.user.id, 'Original', 'https://shop.example.com');
  for (let i = 0; i < 3; i++) {
    h.clock.advance(2 * MINUTE);
    assert.is((await h.heartbeat(site.token, { site_url: 'https://staging.shop.example.com' })).statusCode, 200);
    h.clock.advance(2 * MINUTE);
    assert.is((await h.heartbeat(site.token, { site_url: 'https://shop.example.com' })).statusCode, 200);
  }
  const json = (await b.api('GET', `/api/bots/${site.bot.id}`)).json();
  assert.is(json.wordpress_site_url, 'https://shop.example.com');
  assert.is(json.wordpress_clone_url, 'https://staging.shop.example.com');
  assert.is(json.site_url_changed_at, null);
  const events = await listConnectionEvents(h.db, site.bot.id);
  // one event for the copy, none saying the site moved
  assert.is(events.filter((e) => e.kind === 'site_clone').length, 1);
  assert.is(events.filter((e) => e.kind === 'site_url_changed').length, 0);
  const page = await b.get(`/bots/${site.bot.id}`);
  assert.match(page.body, 'id="bot-clone"');
  assert.match(page.body, 'https://staging.shop.example.com');
  // the copy's heartbeats do not keep the bot alive: the site's own silence is still noticed
  h.clock.advance(STALE_AFTER_MS - MINUTE);
  await h.heartbeat(site.token, { site_url: 'https://staging.shop.example.com' });
  h.clock.advance(2 * MINUTE);
  assert.is((await h.sweepAndDeliver()).flipped, 1);
});

test('a site that moved (its old address silent past STALE_AFTER) takes the new address', async ({ h }) => {
  const { owner, b } = await ownerWithBrowser(h);
  const site = await h.connectedBot(owner.user.id, 'Mover', 'https://old.example.com');
  h.clock.advance(STALE_AFTER_MS + MINUTE);
  assert.is((await h.heartbeat(site.token, { site_url: 'https://new.example.com' })).statusCode, 200);
  const json = (await b.api('GET', `/api/bots/${site.bot.id}`)).json();
  assert.is(json.wordpress_site_url, 'https://new.example.com');
  assert.is(json.wordpress_clone_url, null);
  assert.ok(json.site_url_changed_at);
});

test.run();
