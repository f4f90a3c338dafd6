// A member leaves an account by themselves, by the API or the account page: their key and session
// there stop working; the last owner cannot leave.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parseCommand, runCommand } from '../../src/cli/commands.ts';
import { addMember } from '../../src/db/accounts.ts';
import { DEFAULT_QUOTAS } from '../../src/domain/quotas.ts';
import { buildTestApp, createOwner } from '../helpers/app.ts';
import { loggedIn } from '../helpers/dashboard.ts';

type Ctx = Awaited<ReturnType<typeof buildTestApp>>;
const test = suite<Ctx>('leaving an account');

test.before(async (ctx) => {
  Object.assign(ctx, await buildTestApp());
});
test.after(async (ctx) => {
  await ctx.app.close();
});

const call = (ctx: Ctx, key: string, method: 'GET' | 'POST', url: string, body?: unknown) =>
  ctx.app.inject({
    method,
    url,
    headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    payload: body === undefined ? undefined : JSON.stringify(body),
  });

test('a member leaves with the account’s name typed; their key there stops working, their own account stays', async (ctx) => {
  const owner = await createOwner(ctx.db);
  const member = await createOwner(ctx.db);
  await addMember(ctx.db, owner.user.id, member.user.id, 'member', ctx.clock.now());
  const { key } = (await runCommand({ db: ctx.db, now: ctx.clock.now, quotas: DEFAULT_QUOTAS }, parseCommand(['create-api-key', '--owner', member.user.email, '--account', owner.user.id]))) as { key: string };
  const name = (await call(ctx, key, 'GET', '/api/accounts')).json().accounts.find((a: { id: string }) => a.id === owner.user.id).name;
  const unconfirmed = await call(ctx, key, 'POST', '/api/accounts/current/leave', {});
  assert.is(unconfirmed.statusCode, 400);
  assert.match(unconfirmed.json().message, /type the account's name/);
  const left = await call(ctx, key, 'POST', '/api/accounts/current/leave', { confirm: name });
  assert.is(left.statusCode, 200, left.body);
  // the key made in that account no longer works; the member's own account is untouched
  assert.is((await call(ctx, key, 'GET', '/api/bots')).statusCode, 401);
  assert.is((await call(ctx, member.apiKey, 'GET', '/api/bots')).statusCode, 200);
  const members = (await call(ctx, owner.apiKey, 'GET', '/api/members')).json();
  assert.not.ok(JSON.stringify(members).includes(member.user.email));
});

test('the last owner cannot leave', async (ctx) => {
  const owner = await createOwner(ctx.db);
  const name = (await call(ctx, owner.apiKey, 'GET', '/api/accounts')).json().accounts[0].name;
  const refused = await call(ctx, owner.apiKey, 'POST', '/api/accounts/current/leave', { confirm: name });
  assert.is(refused.statusCode, 409);
  assert.match(refused.json().message, /at least one owner/);
});

const accountName = async (ctx: Ctx, accountId: string) =>
  (await ctx.db.query<{ name: string }>('SELECT name FROM accounts WHERE id = $1', [accountId])).rows[0]!.name;

test('on the account page a member leaves with the account’s name typed, and lands on the log-in page told so', async (ctx) => {
  const owner = await createOwner(ctx.db);
  const member = await createOwner(ctx.db);
  await addMember(ctx.db, owner.user.id, member.user.id, 'member', ctx.clock.now());
  const b = await loggedIn(ctx.app, member.user.email, member.password);
  assert.is((await b.post('/account/switch', { account_id: owner.user.id })).statusCode, 303);
  const page = await b.get('/account');
  // the card is there, with the form
  assert.match(page.body, 'id="leave-account"');
  assert.match(page.body, 'action="/account/leave"');
  // a wrong name changes nothing and says what to type
  const wrong = await b.post('/account/leave', { confirm: 'not the name' });
  assert.is(wrong.statusCode, 400);
  assert.match(wrong.body, /type the account&#x27;s name|type the account's name/);
  assert.is((await b.get('/bots')).statusCode, 200);
  const left = await b.post('/account/leave', { confirm: await accountName(ctx, owner.user.id) });
  assert.is(left.statusCode, 303);
  assert.is(left.headers.location, '/login?left=1');
  assert.match((await b.get('/login?left=1')).body, 'You left the account.');
  // this session worked in that account and has ended; the owner's member list no longer has them
  assert.is((await b.get('/bots')).statusCode, 303);
  const members = (await call(ctx, owner.apiKey, 'GET', '/api/members')).json();
  assert.not.ok(JSON.stringify(members).includes(member.user.email));
  // logging in again opens their own account
  const again = await loggedIn(ctx.app, member.user.email, member.password);
  assert.match((await again.get('/account')).body, 'action="/account/rename"');
});

test('the account page offers no leaving on an account of one, and tells the only owner of a team what to do first', async (ctx) => {
  const owner = await createOwner(ctx.db);
  const solo = await loggedIn(ctx.app, owner.user.email, owner.password);
  assert.not.match((await solo.get('/account')).body, 'id="leave-account"');
  const member = await createOwner(ctx.db);
  await addMember(ctx.db, owner.user.id, member.user.id, 'viewer', ctx.clock.now());
  const page = (await solo.get('/account')).body;
  // a member now: the only owner is told to make another owner first, and given no form
  assert.match(page, 'id="leave-account"');
  assert.match(page, /only owner: make someone else an owner/);
  assert.not.match(page, 'action="/account/leave"');
});

test.run();
