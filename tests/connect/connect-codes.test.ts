// One-click connect on the service side (docs/contract.md "Connect"): the approval page behind the
// dashboard's session, the 303 back to the site with code and state, and the code rules of the
// exchange (single use, 10 minutes, bound to its site, return_url on the site's origin).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { hashSecret } from '../../src/accounts/credentials.ts';
import { buildTestApp, createBotFor, createClock, createOwner, heartbeatBody, postHeartbeat } from '../helpers/app.ts';
import { browser, loggedIn, type Browser } from '../helpers/dashboard.ts';

type Ctx = Awaited<ReturnType<typeof buildTestApp>> & { owner: Awaited<ReturnType<typeof createOwner>>; b: Browser };
const test = suite<Ctx>('one-click connect: approval and code exchange');

const SITE = 'https://shop.example.com';
const RETURN = `${SITE}/wp-admin/admin-post.php?action=agentdesk_connect_return`;
const STATE = 'Zx9-state_0123456789abcdef';
const query = (fields: Record<string, string> = {}) => `/connect?${new URLSearchParams({ site_url: SITE, return_url: RETURN, state: STATE, ...fields })}`;

test.before(async (ctx) => {
  Object.assign(ctx, await buildTestApp({ clock: createClock(new Date('2026-03-02T09:00:00Z')) }));
  ctx.owner = await createOwner(ctx.db);
  ctx.b = await loggedIn(ctx.app, ctx.owner.user.email, ctx.owner.password);
});
test.after(async (ctx) => {
  await ctx.app.close();
});

/** Approves `bot_id` for SITE on the page the owner sees; returns the redirect's code and state. */
async function approve(ctx: Ctx, botId = 'new', fields: Record<string, string> = {}) {
  const page = await ctx.b.get(query(fields));
  assert.is(page.statusCode, 200, page.body.slice(0, 300));
  const response = await ctx.b.post('/connect', { site_url: SITE, return_url: RETURN, state: STATE, ...fields, bot_id: botId });
  assert.is(response.statusCode, 303, response.body.slice(0, 300));
  const location = new URL(response.headers.location as string);
  return { location, code: location.searchParams.get('code')!, state: location.searchParams.get('state') };
}

const exchange = (ctx: Ctx, body: unknown) =>
  ctx.app.inject({ method: 'POST', url: '/api/connect/token', headers: { 'content-type': 'application/json' }, payload: JSON.stringify(body) });

test('without a session the connect page sends the browser to log in and back, and sign-up comes back too', async (ctx) => {
  const anonymous = browser(ctx.app);
  const response = await anonymous.get(query());
  assert.is(response.statusCode, 303);
  const login = new URL(response.headers.location as string, 'http://service');
  assert.is(login.pathname, '/login');
  assert.is(login.searchParams.get('next'), query());
  const page = await anonymous.get(`/login?next=${encodeURIComponent(query())}`);
  // the log-in page offers sign-up with the same way back
  assert.match(page.body, `/signup?next=${encodeURIComponent(query()).replace(/&/g, '&amp;')}`);
  const signupPage = await anonymous.get(`/signup?next=${encodeURIComponent(query())}`);
  assert.is(signupPage.statusCode, 200);
  const signedUp = await anonymous.post('/signup', { name: 'New owner', email: `new-${Date.now()}@example.test`, password: 'a long password', timezone: 'UTC', next: query() });
  assert.is(signedUp.statusCode, 303);
  assert.is(signedUp.headers.location, query());
});

test('the approval page names the site, offers a new bot named after it and the owner\'s bots, and lets its form lead to the site', async (ctx) => {
  await createBotFor(ctx.db, ctx.owner.user.id, { name: 'Existing helper' });
  const page = await ctx.b.get(query());
  assert.is(page.statusCode, 200);
  assert.match(page.body, 'Connect https://shop.example.com');
  assert.match(page.body, 'A new bot named <strong>shop.example.com</strong>');
  assert.match(page.body, 'Existing helper');
  assert.match(String(page.headers['content-security-policy']), "form-action 'self' https://shop.example.com");
  // Cancel goes back to the site with the state and no code
  const cancel = (/<a href="([^"]+)" id="connect-cancel"/.exec(page.body)?.[1] ?? '').replace(/&#x3D;/g, '=').replace(/&amp;/g, '&');
  const back = new URL(cancel);
  assert.is(back.searchParams.get('error'), 'access_denied');
  assert.is(back.searchParams.get('state'), STATE);
  assert.is(back.searchParams.get('code'), null);
  assert.is(back.searchParams.get('action'), 'agentdesk_connect_return');
});

test('reached through htmx (a boosted log-in form), the approval page asks for a whole page load, so its own CSP applies', async (ctx) => {
  const response = await ctx.b.get(query(), { 'hx-request': 'true' });
  assert.is(response.statusCode, 204);
  assert.is(response.headers['hx-redirect'], query());
});

test('a return_url on another origin, a missing state or a bad site URL is a 400 that says so', async (ctx) => {
  const foreign = await ctx.b.get(query({ return_url: 'https://evil.example.net/collect' }));
  assert.is(foreign.statusCode, 400);
  assert.match(foreign.body, "return_url must be on the site&#x27;s own origin (https://shop.example.com)");
  const otherPort = await ctx.b.get(query({ return_url: 'https://shop.example.com:8443/wp-admin/' }));
  assert.is(otherPort.statusCode, 400);
  const noState = await ctx.b.get(query({ state: '' }));
  assert.is(noState.statusCode, 400);
  assert.match(noState.body, 'state must be 16 to 128');
  const badSite = await ctx.b.get(query({ site_url: 'ftp://shop.example.com' }));
  assert.is(badSite.statusCode, 400);
  assert.match(badSite.body, 'site_url must be an absolute http or https URL');
  // the approval itself checks the same rules: no code goes to a foreign return_url
  const posted = await ctx.b.post('/connect', { site_url: SITE, return_url: 'https://evil.example.net/x', state: STATE, bot_id: 'new' });
  assert.is(posted.statusCode, 400);
  assert.is(posted.headers.location, undefined);
});

test('approving answers 303 to return_url with a code and the state echoed; the code gives the token once, stored only hashed', async (ctx) => {
  const { location, code, state } = await approve(ctx);
  assert.is(`${location.origin}${location.pathname}`, `${SITE}/wp-admin/admin-post.php`);
  // return_url's own query is kept
  assert.is(location.searchParams.get('action'), 'agentdesk_connect_return');
  assert.is(state, STATE);
  assert.ok(code.length >= 32);
  const { rows } = await ctx.db.query<{ code_hash: string }>('SELECT code_hash FROM connect_codes');
  assert.ok(rows.some((row) => row.code_hash === hashSecret(code)));
  assert.not.ok(rows.some((row) => row.code_hash === code));

  const first = await exchange(ctx, { code, site_url: SITE });
  assert.is(first.statusCode, 200, first.body);
  const grant = first.json();
  assert.match(grant.token, /^bot_/);
  assert.match(grant.widget_key, /^pub_/);
  // the token is the new bot's, named after the site, and it sends the first heartbeat
  const beat = await postHeartbeat(ctx.app, grant.token, heartbeatBody({ site_url: SITE }));
  assert.is(beat.statusCode, 200);
  const bot = (await ctx.b.api('GET', `/api/bots/${grant.bot_id}`)).json();
  assert.is(bot.name, 'shop.example.com');
  assert.is(bot.connection_status, 'connected');
  assert.is(bot.wordpress_site_url, SITE);

  const second = await exchange(ctx, { code, site_url: SITE });
  assert.is(second.statusCode, 400);
  assert.match(second.json().message, 'already used');
});

test('a code is bound to its site: another site is refused (400) and the code still works for its own', async (ctx) => {
  const { code } = await approve(ctx);
  const other = await exchange(ctx, { code, site_url: 'https://copy.example.com' });
  assert.is(other.statusCode, 400);
  assert.is(other.json().message, 'This connect code was issued for another site');
  assert.is((await exchange(ctx, { code, site_url: SITE })).statusCode, 200);
});

test('a code lives 10 minutes', async (ctx) => {
  const { code: late } = await approve(ctx);
  const { code: inTime } = await approve(ctx);
  ctx.clock.advance(10 * 60_000 - 1000);
  assert.is((await exchange(ctx, { code: inTime, site_url: SITE })).statusCode, 200);
  ctx.clock.advance(2000);
  const expired = await exchange(ctx, { code: late, site_url: SITE });
  assert.is(expired.statusCode, 400);
  assert.match(expired.json().message, 'expired');
});

test('an unknown or malformed code, or a missing site URL, is a 400 with the reason', async (ctx) => {
  const unknown = await exchange(ctx, { code: 'x'.repeat(43), site_url: SITE });
  assert.is(unknown.statusCode, 400);
  assert.match(unknown.json().message, 'Unknown connect code');
  const malformed = await exchange(ctx, { code: 'short', site_url: SITE });
  assert.is(malformed.statusCode, 400);
  assert.match(malformed.json().message, 'code is required');
  const noSite = await exchange(ctx, { code: 'x'.repeat(43) });
  assert.is(noSite.statusCode, 400);
  assert.is(noSite.json().message, 'site_url is required');
});

test('choosing an existing bot gives it a new token: the old one stops working, its history stays', async (ctx) => {
  const { bot, token } = await createBotFor(ctx.db, ctx.owner.user.id, { name: 'Kept helper' });
  assert.is((await postHeartbeat(ctx.app, token, heartbeatBody({ site_url: 'https://old.example.com' }))).statusCode, 200);
  const { code } = await approve(ctx, bot.id);
  const grant = (await exchange(ctx, { code, site_url: SITE })).json();
  assert.is(grant.bot_id, bot.id);
  assert.is((await postHeartbeat(ctx.app, token, heartbeatBody({ site_url: SITE }))).statusCode, 401);
  assert.is((await postHeartbeat(ctx.app, grant.token, heartbeatBody({ site_url: SITE }))).statusCode, 200);
  const json = (await ctx.b.api('GET', `/api/bots/${bot.id}`)).json();
  // the site it now reports from is its own address, not a copy of the old one
  assert.is(json.wordpress_site_url, SITE);
  assert.is(json.wordpress_clone_url, null);
});

test("another owner's bot cannot be chosen (404, as a missing one)", async (ctx) => {
  const stranger = await createOwner(ctx.db);
  const { bot } = await createBotFor(ctx.db, stranger.user.id, { name: 'Not yours' });
  await ctx.b.get(query());
  const response = await ctx.b.post('/connect', { site_url: SITE, return_url: RETURN, state: STATE, bot_id: bot.id });
  assert.is(response.statusCode, 404);
});

test('the approval form needs its CSRF token', async (ctx) => {
  await ctx.b.get(query());
  const response = await ctx.b.post('/connect', { _csrf: null, site_url: SITE, return_url: RETURN, state: STATE, bot_id: 'new' });
  assert.is(response.statusCode, 403);
});

test.run();
