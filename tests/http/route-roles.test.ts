// Every route × every role (docs/dashboard.md "Accounts, members and roles"), read from Fastify's
// own route table so a route added later is checked without anyone listing it here:
//   1. every route that is not public declares an action (src/http/route-actions.ts);
//   2. for each role (owner, manager, member, viewer), by session and, on the API, by a key of that
//      role: a role the action allows gets a success (2xx or a redirect) on the account's own thing,
//      a role it does not gets 403;
//   3. an allowed role given another account's thing gets the same 404 as a missing one.
// Each call acts on a fresh thing (bot, channel, key, schedule, member, invitation) made just for it.
import type { LightMyRequestResponse } from 'fastify';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { issueApiKey } from '../../src/accounts/credentials.ts';
import { addMember, upsertInvitation } from '../../src/db/accounts.ts';
import { insertChannel, listChannels } from '../../src/db/channels.ts';
import { insertSchedule } from '../../src/db/maintenance.ts';
import { insertApiKey } from '../../src/db/users.ts';
import { insertClient } from '../../src/db/clients.ts';
import { mayDo, ROLES, type Action, type Role } from '../../src/domain/roles.ts';
import { buildTestApp, createBotFor, createOwner } from '../helpers/app.ts';
import { loggedIn, type Browser } from '../helpers/dashboard.ts';
import { BODIES, PUBLIC } from '../helpers/route-fixtures.ts';

/** Allowed calls that answer something else than a success here, and why (the role check passed: never 403). */
const ALLOWED_ANSWER: Record<string, { status: number; why: string }> = {
  'GET /admin/fleet': { status: 404, why: 'admins only: everyone else gets the 404 of an unknown page' },
  'GET /admin/fleet/connections': { status: 404, why: 'admins only' },
  'POST /account/password': { status: 400, why: 'the body carries a wrong current password (a right one would end the sessions this suite uses)' },
  'GET /invitations/accept': { status: 400, why: 'no invitation link given' },
  'POST /invitations/accept': { status: 400, why: 'no invitation link given' },
  'POST /channels/:id/test': { status: 409, why: 'an email contact that has not confirmed its address is not sent tests' },
  'POST /api/channels/:id/test': { status: 409, why: 'an email contact that has not confirmed its address is not sent tests' },
  'POST /api/accounts/current/leave': { status: 400, why: "no confirm: leaving needs the account's name typed (a right one would take this suite's people out)" },
  'DELETE /api/accounts/current': { status: 400, why: "no confirm: deleting needs the account's name typed (a right one would end this suite's account)" },
  'POST /account/delete': { status: 400, why: "no confirm: deleting needs the account's name typed" },
  'POST /account/leave': { status: 400, why: "no confirm: leaving needs the account's name typed" },
  'GET /connect': { status: 400, why: 'the plugin sends site_url, return_url and state; the route table carries no query' },
  'GET /api/reports/uptime': { status: 400, why: 'the month is a required query parameter, and the route table carries no query' },
};

/** One of account A's channels, for the bodies that name one (set before the tests). */
let accountAChannel = '';

/** Bodies for this suite beyond the shared ones (fields that must be unique are made per call). */
function bodyFor(key: string, accountId: string): Record<string, unknown> {
  const unique = `invitee-${Math.random().toString(36).slice(2)}@example.test`;
  const own: Record<string, Record<string, unknown>> = {
    'POST /account/password': { current_password: 'not the password', new_password: 'whatever 12345', confirm_password: 'whatever 12345' },
    'POST /api/members': { email: unique, role: 'viewer' },
    'POST /members': { email: unique, role: 'viewer' },
    'PUT /api/members/:id': { role: 'member' },
    'POST /members/:id/role': { role: 'member' },
    'PUT /api/me/notify': { notify: true },
    'POST /api/keys': { role: 'viewer' },
    'POST /account/api-keys': { role: 'viewer' },
    'POST /account/switch': { account_id: accountId },
    'PUT /api/accounts/current': { name: 'Agency A' },
    'POST /account/rename': { name: 'Agency A' },
    'POST /api/clients/:id/channels': { channel_ids: [accountAChannel] },
    'PUT /api/attention/digest/channels/:id': { attention_events: true },
  };
  return own[key] ?? BODIES[key] ?? {};
}

type Person = { userId: string; email: string; browser: Browser; key: string };
type Ctx = Awaited<ReturnType<typeof buildTestApp>> & { accountA: string; accountB: string; people: Record<Role, Person>; bPerson: Person };
const test = suite<Ctx>('every route × every role');

test.before(async (ctx) => {
  Object.assign(
    ctx,
    await buildTestApp({
      env: { MAX_BOTS_PER_OWNER: '100000', MAX_CHANNELS_PER_OWNER: '100000', MAX_SCHEDULES_PER_OWNER: '100000' },
      dashboard: { loginLimits: { perIp: 10_000, perEmail: 10_000, windowMs: 60_000 } },
    }),
  );
  const owner = await createOwner(ctx.db);
  ctx.accountA = owner.user.id;
  ctx.people = {} as Record<Role, Person>;
  for (const role of ROLES) {
    const person = role === 'owner' ? owner : await createOwner(ctx.db);
    if (role !== 'owner') await addMember(ctx.db, ctx.accountA, person.user.id, role, new Date());
    const browser = await loggedIn(ctx.app, person.user.email, person.password);
    // the session works in account A
    if (role !== 'owner') assert.is((await browser.post('/account/switch', { account_id: ctx.accountA })).statusCode, 303);
    await browser.get('/account');
    const key = issueApiKey();
    await insertApiKey(ctx.db, person.user.id, key.hash, key.prefix, { accountId: ctx.accountA, role });
    ctx.people[role] = { userId: person.user.id, email: person.user.email, browser, key: key.value };
  }
  accountAChannel = (await listChannels(ctx.db, ctx.accountA))[0]!.id;
  const other = await createOwner(ctx.db);
  ctx.accountB = other.user.id;
  ctx.bPerson = { userId: other.user.id, email: other.user.email, browser: await loggedIn(ctx.app, other.user.email, other.password), key: other.apiKey };
});
test.after(async (ctx) => {
  await ctx.app.close();
});

const name = (route: { method: string; url: string }) => `${route.method} ${route.url}`;
const isMutating = (method: string) => !['GET', 'HEAD', 'OPTIONS'].includes(method);
const routes = (ctx: Ctx) => ctx.app.routeTable.filter((route) => route.method !== 'HEAD' && route.method !== 'OPTIONS' && !PUBLIC[name(route)]);
const hours = (n: number) => n * 3_600_000;

/** A fresh thing of the account for this route's :id, made by (or for) `maker`. */
async function freshId(ctx: Ctx, url: string, accountId: string, maker: string): Promise<string> {
  const now = ctx.clock.now();
  if (/keys\//.test(url)) {
    const key = issueApiKey();
    await insertApiKey(ctx.db, maker, key.hash, key.prefix, { accountId, role: 'viewer' });
    const { rows } = await ctx.db.query<{ id: string }>('SELECT id FROM api_keys WHERE key_hash = $1', [key.hash]);
    return rows[0]!.id;
  }
  if (url.includes('/clients/')) return (await insertClient(ctx.db, accountId, 'Fresh client', now)).id;
  if (url.includes('/attention/digest/channels/')) {
    const target = `https://hooks.example.com/${Math.random().toString(36).slice(2)}`;
    return (await insertChannel(ctx.db, accountId, { kind: 'webhook', name: 'Hook', target, secret: 'whsec_test', botIds: null, escalateAfterSeconds: null, enabled: true }, now)).id;
  }
  if (url.includes('/channels/')) {
    const target = `contact-${Math.random().toString(36).slice(2)}@example.test`;
    return (await insertChannel(ctx.db, accountId, { kind: 'email', name: 'Contact', target, secret: null, botIds: null, escalateAfterSeconds: null, enabled: true }, now)).id;
  }
  if (url.includes('/schedules/')) return String((await insertSchedule(ctx.db, accountId, null, { weekday: 1, startMinute: 60, durationMinutes: 30 }, null, now)).id);
  if (url.includes('/members/')) {
    const someone = await createOwner(ctx.db);
    await addMember(ctx.db, accountId, someone.user.id, 'viewer', now);
    return someone.user.id;
  }
  if (url.includes('/invitations/')) {
    const email = `pending-${Math.random().toString(36).slice(2)}@example.test`;
    // sent two hours ago, so sending it again is allowed
    return (await upsertInvitation(ctx.db, { accountId, email, role: 'viewer', invitedBy: maker, now: new Date(now.getTime() - hours(2)), expiresAt: new Date(now.getTime() + hours(100)) })).id;
  }
  return (await createBotFor(ctx.db, accountId, { name: 'Fresh bot' })).bot.id;
}

async function call(ctx: Ctx, person: Person, how: 'session' | 'key', method: string, url: string, body: Record<string, unknown>): Promise<LightMyRequestResponse> {
  const isApi = url.startsWith('/api/');
  const mutating = isMutating(method);
  const headers: Record<string, string> = { accept: isApi ? 'application/json' : 'text/html' };
  if (how === 'key') headers.authorization = `Bearer ${person.key}`;
  else if (isApi && mutating) headers['x-csrf-token'] = person.browser.csrf!;
  let payload: string | undefined;
  if (mutating) {
    headers['content-type'] = isApi ? 'application/json' : 'application/x-www-form-urlencoded';
    payload = isApi ? JSON.stringify(body) : new URLSearchParams({ _csrf: person.browser.csrf!, ...(body as Record<string, string>) }).toString();
  }
  return ctx.app.inject({ method: method as 'GET', url, cookies: how === 'session' ? person.browser.cookies : undefined, headers, payload });
}

test('every route that is not public declares an action for the role check', (ctx) => {
  const missing = routes(ctx).filter((route) => !route.action).map(name);
  assert.equal(missing, [], `routes without an action (add them to src/http/route-actions.ts): ${missing.join(', ')}`);
  assert.ok(routes(ctx).length >= 60, `only ${routes(ctx).length} routes`);
});

test('every route × every role: allowed → success, not allowed → 403; another account’s thing → 404', async (ctx) => {
  let checked = 0;
  for (const route of routes(ctx)) {
    const key = name(route);
    const action = route.action as Action;
    const ways: Array<'session' | 'key'> = route.url.startsWith('/api/') ? ['session', 'key'] : ['session'];
    for (const role of ROLES) {
      const person = ctx.people[role];
      for (const how of ways) {
        const label = `${key} as ${role} by ${how}`;
        const own = route.url.includes(':id') ? route.url.replace(':id', await freshId(ctx, route.url, ctx.accountA, person.userId)) : route.url;
        const response = await call(ctx, person, how, route.method, own, bodyFor(key, ctx.accountA));
        if (!mayDo(role, action)) {
          // refused by the role check
          assert.is(response.statusCode, 403, `${label}: ${response.body.slice(0, 200)}`);
        } else if (ALLOWED_ANSWER[key]) {
          assert.is(response.statusCode, ALLOWED_ANSWER[key].status, `${label} (${ALLOWED_ANSWER[key].why}): ${response.body.slice(0, 200)}`);
        } else {
          // a success: 2xx, or a page's redirect that is not to the log-in page
          const ok = (response.statusCode >= 200 && response.statusCode < 300) || (response.statusCode === 303 && !String(response.headers.location).startsWith('/login'));
          assert.ok(ok, `${label} answered ${response.statusCode}: ${response.body.slice(0, 300)}`);
        }
        if (route.url.includes(':id') && mayDo(role, action)) {
          const theirs = route.url.replace(':id', await freshId(ctx, route.url, ctx.accountB, ctx.bPerson.userId));
          const other = await call(ctx, person, how, route.method, theirs, bodyFor(key, ctx.accountA));
          // another account's thing: the 404 of a missing one (admin pages are a 404 for everyone here)
          assert.is(other.statusCode, 404, `${label} on another account's thing: ${other.body.slice(0, 200)}`);
        }
        checked++;
      }
    }
  }
  assert.ok(checked >= 300, `only ${checked} calls`);
});

test('a viewer key reads the bots (200) and cannot create one (403)', async (ctx) => {
  const viewer = ctx.people.viewer;
  const list = await call(ctx, viewer, 'key', 'GET', '/api/bots', {});
  assert.is(list.statusCode, 200);
  assert.ok(list.json().bots.length > 0, 'the account has bots, and the viewer sees them');
  const create = await call(ctx, viewer, 'key', 'POST', '/api/bots', { name: 'Nope' });
  assert.is(create.statusCode, 403);
  assert.match(create.json().message, /viewer/);
});

test('a key never does more than its maker: a manager cannot make an owner key, and a key of a demoted maker shrinks', async (ctx) => {
  const manager = ctx.people.manager;
  const refused = await call(ctx, manager, 'key', 'POST', '/api/keys', { role: 'owner' });
  assert.is(refused.statusCode, 403);
  const made = await call(ctx, manager, 'key', 'POST', '/api/keys', {});
  // the default role is the maker's
  assert.is(made.statusCode, 201);
  assert.is(made.json().role, 'manager');
  const managerKey = made.json().key as string;
  // the owner makes the manager a viewer: the manager key now only reads
  const demoted = await call(ctx, ctx.people.owner, 'key', 'PUT', `/api/members/${manager.userId}`, { role: 'viewer' });
  assert.is(demoted.statusCode, 200);
  const create = await ctx.app.inject({ method: 'POST', url: '/api/bots', headers: { authorization: `Bearer ${managerKey}`, 'content-type': 'application/json' }, payload: '{"name":"x"}' });
  assert.is(create.statusCode, 403);
  await call(ctx, ctx.people.owner, 'key', 'PUT', `/api/members/${manager.userId}`, { role: 'manager' });
});

test('the last owner cannot leave or be demoted; a manager cannot touch an owner', async (ctx) => {
  const owner = ctx.people.owner;
  const demote = await call(ctx, owner, 'key', 'PUT', `/api/members/${owner.userId}`, { role: 'manager' });
  assert.is(demote.statusCode, 409);
  assert.match(demote.json().message, /at least one owner/);
  assert.is((await call(ctx, owner, 'key', 'DELETE', `/api/members/${owner.userId}`, {})).statusCode, 409);
  const byManager = await call(ctx, ctx.people.manager, 'key', 'DELETE', `/api/members/${owner.userId}`, {});
  assert.is(byManager.statusCode, 403);
  // with a second owner, the first may step down
  assert.is((await call(ctx, owner, 'key', 'PUT', `/api/members/${ctx.people.manager.userId}`, { role: 'owner' })).statusCode, 200);
  // (by session: the second owner's key was made as a manager and stays one)
  assert.is((await call(ctx, ctx.people.manager, 'key', 'PUT', `/api/members/${owner.userId}`, { role: 'manager' })).statusCode, 403);
  assert.is((await call(ctx, ctx.people.manager, 'session', 'PUT', `/api/members/${owner.userId}`, { role: 'manager' })).statusCode, 200);
  assert.is((await call(ctx, ctx.people.manager, 'session', 'PUT', `/api/members/${owner.userId}`, { role: 'owner' })).statusCode, 200);
  assert.is((await call(ctx, owner, 'key', 'PUT', `/api/members/${ctx.people.manager.userId}`, { role: 'manager' })).statusCode, 200);
});

test('the audit log is paged, newest first, and shown to owners and managers only', async (ctx) => {
  const first = await call(ctx, ctx.people.manager, 'key', 'GET', '/api/audit?limit=5', {});
  assert.is(first.statusCode, 200);
  const page = first.json();
  assert.is(page.entries.length, 5);
  const second = (await call(ctx, ctx.people.manager, 'key', 'GET', `/api/audit?limit=5&before=${page.next}`, {})).json();
  // the next page starts below the last id of the first
  assert.ok(second.entries[0].id < page.entries[4].id);
  assert.ok(page.entries.every((e: { id: number }, i: number) => i === 0 || e.id < page.entries[i - 1].id));
  // bot deletions and token rotations are in it, with who and how
  const all = (await ctx.db.query<{ action: string; via: string }>('SELECT DISTINCT action, via FROM audit_log WHERE account_id = $1', [ctx.accountA])).rows;
  for (const action of ['bots:delete', 'bots:rotate-token', 'bots:mute', 'channels:write', 'maintenance:write', 'keys:write', 'members:role']) {
    assert.ok(all.some((row) => row.action === action), action);
  }
  assert.ok(all.some((row) => row.via === 'api_key') && all.some((row) => row.via === 'session'));
  assert.is((await call(ctx, ctx.people.member, 'key', 'GET', '/api/audit', {})).statusCode, 403);
  assert.is((await call(ctx, ctx.people.manager, 'key', 'GET', '/api/audit?before=abc', {})).statusCode, 400);
  // entries are kept 90 days
  ctx.clock.advance(91 * 86_400_000);
  assert.equal((await call(ctx, ctx.people.manager, 'key', 'GET', '/api/audit', {})).json().entries, []);
  ctx.clock.advance(-91 * 86_400_000);
});

test("an owner deletes an account: its bots and its members' sessions there go; logging in again gives the owner a new account of their own", async (ctx) => {
  const founder = await createOwner(ctx.db);
  const colleague = await createOwner(ctx.db);
  await addMember(ctx.db, founder.user.id, colleague.user.id, 'manager', ctx.clock.now());
  await createBotFor(ctx.db, founder.user.id, { name: 'Doomed bot' });
  const c = await loggedIn(ctx.app, colleague.user.email, colleague.password);
  await c.post('/account/switch', { account_id: founder.user.id });
  // a manager may not delete it; a wrong name deletes nothing
  assert.is((await c.api('DELETE', '/api/accounts/current', {}, { 'x-csrf-token': c.csrf! })).statusCode, 403);
  const wrong = await ctx.app.inject({ method: 'DELETE', url: '/api/accounts/current', headers: { authorization: `Bearer ${founder.apiKey}`, 'content-type': 'application/json' }, payload: '{"confirm":"wrong name"}' });
  assert.is(wrong.statusCode, 400);
  const name = (await ctx.db.query<{ name: string }>('SELECT name FROM accounts WHERE id = $1', [founder.user.id])).rows[0]!.name;
  const deleted = await ctx.app.inject({ method: 'DELETE', url: '/api/accounts/current', headers: { authorization: `Bearer ${founder.apiKey}`, 'content-type': 'application/json' }, payload: JSON.stringify({ confirm: name }) });
  assert.is(deleted.statusCode, 200);
  assert.is((await ctx.db.query("SELECT 1 FROM bots WHERE name = 'Doomed bot'")).rowCount, 0);
  // the colleague's session in that account is over; the key is gone with the account
  assert.is((await c.get('/bots')).statusCode, 303);
  assert.is((await ctx.app.inject({ method: 'GET', url: '/api/bots', headers: { authorization: `Bearer ${founder.apiKey}` } })).statusCode, 401);
  // the founder logs in again to a new, empty account of their own
  const again = await loggedIn(ctx.app, founder.user.email, founder.password);
  const page = await again.get('/bots');
  assert.is(page.statusCode, 200);
  assert.not.match(page.body, /Doomed bot/);
});

test.run();
