// `npm run test:wordpress`: the plugin on a WordPress multisite (Debian's WordPress turned into a
// network the way Tools → Network Setup does it), talking to the real service. Network activation
// and deactivation must reach every site, each sending its own heartbeat; uninstall cleans every site.
// The network runs the WordPress.org build (no updater), so that build is exercised in a real WordPress too.
import type { AddressInfo } from 'node:net';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { buildApp } from '../../src/app.ts';
import { findOwnedBot, type BotRow } from '../../src/db/bots.ts';
import type { Database } from '../../src/db/database.ts';
import { createBotFor, createOwner, testConfig } from '../helpers/app.ts';
import { testDatabase } from '../helpers/database.ts';
import { whenAvailable } from '../helpers/system.ts';
import { loggedIn } from '../helpers/dashboard.ts';
import { startWordPress, wordpressUnavailable, type WordPressSite } from './wordpress-site.ts';

interface Ctx {
  db: Database;
  app: Awaited<ReturnType<typeof buildApp>>;
  apiUrl: string;
  site: WordPressSite;
  ownerId: string;
  owner: { email: string; password: string };
  /** One bot per site of the network, by blog id. */
  bots: Map<number, { bot: BotRow; token: string }>;
  heartbeats: { token: string; body: Record<string, unknown> }[];
  /** Paths of every request the service received. */
  paths: string[];
}

const test = suite<Ctx>('WordPress multisite end-to-end');
const it = whenAvailable(test, wordpressUnavailable());

test.before(async (ctx) => {
  if (wordpressUnavailable()) return;
  ctx.db = await testDatabase();
  ctx.app = await buildApp({ config: testConfig(), db: ctx.db });
  ctx.heartbeats = [];
  ctx.paths = [];
  ctx.app.addHook('onRequest', async (request) => {
    ctx.paths.push(request.url);
  });
  ctx.app.addHook('preHandler', async (request) => {
    if (request.url === '/api/bots/wordpress-heartbeat') {
      ctx.heartbeats.push({ token: String(request.headers['x-bot-token']), body: request.body as Record<string, unknown> });
    }
  });
  await ctx.app.listen({ host: '127.0.0.1', port: 0 });
  ctx.apiUrl = `http://127.0.0.1:${(ctx.app.server.address() as AddressInfo).port}/api`;
  const owner = await createOwner(ctx.db);
  ctx.ownerId = owner.user.id;
  ctx.owner = { email: owner.user.email, password: owner.password };
  ctx.bots = new Map();
  ctx.site = await startWordPress({ apiUrl: ctx.apiUrl, variant: 'wporg' });
});

test.after(async (ctx) => {
  await ctx.site?.close();
  await ctx.app?.close();
});

const statusOf = async (ctx: Ctx, blogId: number) => (await findOwnedBot(ctx.db, ctx.ownerId, ctx.bots.get(blogId)!.bot.id))?.connection_status;

it('turns a fresh WordPress into a network of three sites', async (ctx) => {
  await ctx.site.task('install', { password: 'multisite-admin' });
  const network = await ctx.site.task('install-network');
  assert.is(network.error, null);
  const host = new URL(ctx.site.url).host;
  ctx.site.setExtraConfig(
    [
      "define( 'MULTISITE', true );",
      "define( 'SUBDOMAIN_INSTALL', false );",
      `define( 'DOMAIN_CURRENT_SITE', '${host}' );`,
      "define( 'PATH_CURRENT_SITE', '/' );",
      "define( 'SITE_ID_CURRENT_SITE', 1 );",
      "define( 'BLOG_ID_CURRENT_SITE', 1 );",
    ].join('\n'),
  );
  const created = await ctx.site.task('create-sites', { paths: ['/second/', '/third/'] });
  // blog ids 2 and 3 beside the main site
  assert.equal(created.ids, [2, 3]);
});

it('network activation sends each site\'s heartbeat with its own token and schedules each site', async (ctx) => {
  for (const blogId of [1, 2, 3]) {
    const created = await createBotFor(ctx.db, ctx.ownerId, { name: `Site ${blogId} bot` });
    ctx.bots.set(blogId, created);
    // as if each site's admin had connected it earlier (the plugin was then deactivated)
    await ctx.site.task('set-option', { blog_id: blogId, name: 'agentdesk_api_token', value: created.token });
  }
  const activated = await ctx.site.task('network-activate');
  assert.is(activated.error, null);
  assert.is(activated.network_active, true);
  for (const blogId of [1, 2, 3]) {
    // each token sent one active heartbeat, and each site has its own event
    const sent = ctx.heartbeats.filter((h) => h.token === ctx.bots.get(blogId)!.token);
    assert.is(sent.length, 1, `site ${blogId}`);
    // from that site's own address
    assert.is(sent[0]!.body.site_url, blogId === 1 ? ctx.site.url : `${ctx.site.url}${blogId === 2 ? '/second' : '/third'}`);
    assert.is(sent[0]!.body.is_active, true, JSON.stringify(sent[0]!.body));
    assert.is(activated.sites[blogId].schedule, 'agentdesk_five_minutes', `site ${blogId}`);
    assert.is(activated.sites[blogId].options.agentdesk_heartbeat_result.result, 'ok', JSON.stringify(activated.sites[blogId].options.agentdesk_heartbeat_result) + JSON.stringify(sent[0]!.body));
    assert.is(await statusOf(ctx, blogId), 'connected');
  }
});

it('a sub-site administrator cannot change the API URL; a super admin can', async (ctx) => {
  const attacker = 'http://attacker.agentdesk.test/api';
  const sub = await ctx.site.task('api-url-as', { blog_id: 2, login: 'second-admin', create_admin: true, value: attacker });
  // an administrator of site 2 (manage_options there), not a super admin
  assert.is(sub.can_manage, true);
  assert.is(sub.super_admin, false);
  // the URL stays, the reason is given, and the field is shown read-only
  assert.is(sub.saved, '');
  assert.match(sub.errors.join('\n'), 'Only a network administrator can change the API URL');
  assert.match(sub.field, 'disabled="disabled"');
  assert.not.match(sub.field, 'name="agentdesk_api_url"');
  const superAdmin = await ctx.site.task('api-url-as', { blog_id: 2, login: 'admin', value: attacker });
  // the network's super admin may (a public address)
  assert.is(superAdmin.saved, attacker);
  await ctx.site.task('set-option', { blog_id: 2, name: 'agentdesk_api_url', value: '' });
});

it('a sub-site connects on its own with one click: its own address, state and token; the other sites keep theirs', async (ctx) => {
  // (php -S has no multisite rewrites, so /second/wp-admin/ is driven from PHP: the same handlers the buttons reach)
  const second = `${ctx.site.url}/second`;
  await ctx.site.task('set-option', { blog_id: 2, name: 'agentdesk_api_token', value: '' });
  const started = await ctx.site.task('connect-flow', { blog_id: 2, step: 'start' });
  const approval = new URL(started.location);
  // the service is asked for this sub-site, and the browser is to come back to this sub-site's admin
  assert.is(approval.searchParams.get('site_url'), second);
  assert.is(approval.searchParams.get('return_url'), `${second}/wp-admin/admin-post.php?action=agentdesk_connect_return`);

  const owner = await loggedIn(ctx.app, ctx.owner.email, ctx.owner.password);
  assert.is((await owner.get(approval.pathname + approval.search)).statusCode, 200);
  const approved = await owner.post('/connect', {
    site_url: second,
    return_url: approval.searchParams.get('return_url')!,
    state: approval.searchParams.get('state')!,
    bot_id: ctx.bots.get(2)!.bot.id,
  });
  assert.is(approved.statusCode, 303);
  const query = Object.fromEntries(new URL(approved.headers.location as string).searchParams);
  // the state is kept per site: the same way back on site 3 is refused, and site 3 is untouched
  const elsewhere = await ctx.site.task('connect-flow', { blog_id: 3, step: 'return', query });
  assert.match(elsewhere.result.message, 'was not started from this page');
  assert.is(elsewhere.options.agentdesk_api_token, ctx.bots.get(3)!.token);

  const returned = await ctx.site.task('connect-flow', { blog_id: 2, step: 'return', query });
  assert.is(returned.result.kind, 'success', JSON.stringify(returned.result));
  // site 2 stored a new token for its bot and reported with it, from its own address
  const token = returned.options.agentdesk_api_token as string;
  assert.is.not(token, ctx.bots.get(2)!.token);
  const first = ctx.heartbeats.at(-1)!;
  assert.is(first.token, token);
  assert.is(first.body.site_url, second);
  ctx.bots.get(2)!.token = token;
  assert.is(await statusOf(ctx, 2), 'connected');
  // the other sites keep their own tokens
  const state = await ctx.site.task('network-state');
  for (const blogId of [1, 3]) assert.is(state.sites[blogId].options.agentdesk_api_token, ctx.bots.get(blogId)!.token, `site ${blogId}`);
});

it('the WordPress.org build never asks the service for updates, even with a token saved', async (ctx) => {
  const check = await ctx.site.task('update-check');
  // no update offered, and no request for the update info or the package reached the service
  assert.is(check.update, null);
  assert.equal(ctx.paths.filter((p) => p.startsWith('/api/wordpress/plugin/')), []);
  // while the plugin does talk to the service (the heartbeats above)
  assert.ok(ctx.paths.includes('/api/bots/wordpress-heartbeat'));
});

it('network deactivation sends every site\'s final is_active:false and clears every site\'s event', async (ctx) => {
  const deactivated = await ctx.site.task('network-deactivate');
  assert.is(deactivated.network_active, false);
  for (const blogId of [1, 2, 3]) {
    const sent = ctx.heartbeats.filter((h) => h.token === ctx.bots.get(blogId)!.token);
    // the last heartbeat of each site says inactive; the service shows each as deactivated
    assert.is(sent.at(-1)!.body.is_active, false, `site ${blogId}`);
    assert.is(deactivated.sites[blogId].next, false, `site ${blogId}`);
    assert.is(await statusOf(ctx, blogId), 'deactivated');
  }
});

it('uninstall removes the plugin\'s options from every site, past the first 100', async (ctx) => {
  // get_sites() returns 100 sites unless told otherwise: site 103 is where a capped loop stops short
  const paths = Array.from({ length: 100 }, (_, i) => `/extra-${i + 4}/`);
  // In four runs of 25: one PHP process creating all 100 can pass wp-task's 60 s limit on a busy machine.
  const ids: number[] = [];
  for (let start = 0; start < paths.length; start += 25) {
    ids.push(...(await ctx.site.task('create-sites', { paths: paths.slice(start, start + 25) })).ids);
  }
  assert.is(ids.at(-1), 103);
  await ctx.site.task('set-option', { blog_id: 103, name: 'agentdesk_api_token', value: ctx.bots.get(1)!.token });
  await ctx.site.task('set-option', { blog_id: 103, name: 'agentdesk_last_heartbeat', value: '2026-01-01 00:00:00' });
  const uninstalled = await ctx.site.task('network-uninstall');
  for (const blogId of [1, 2, 3, 103]) {
    // nothing named agentdesk left in any site's options
    assert.equal(Object.keys(uninstalled.sites[blogId].options), [], `site ${blogId}`);
  }
});

test.run();
