// Keys with a role (docs/dashboard.md "Accounts, members and roles"), made from the CLI and from the
// account page: the role defaults to the maker's, is never higher, and a viewer key only reads.
// A viewer changes nothing, so the account page shows them no keys.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parseCommand, runCommand } from '../../src/cli/commands.ts';
import { addMember } from '../../src/db/accounts.ts';
import { DEFAULT_QUOTAS } from '../../src/domain/quotas.ts';
import { buildTestApp, createOwner } from '../helpers/app.ts';
import { loggedIn } from '../helpers/dashboard.ts';

type Ctx = Awaited<ReturnType<typeof buildTestApp>>;
const test = suite<Ctx>('keys with a role');

test.before(async (ctx) => {
  Object.assign(ctx, await buildTestApp());
});
test.after(async (ctx) => {
  await ctx.app.close();
});

const cli = (ctx: Ctx, argv: string[]) => runCommand({ db: ctx.db, now: ctx.clock.now, quotas: DEFAULT_QUOTAS }, parseCommand(argv));
/** The error a promise is rejected with (fails when it resolves). */
async function refusal(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a refusal');
}

const withKey = (ctx: Ctx, key: string, method: 'GET' | 'POST', url: string, body?: unknown) =>
  ctx.app.inject({
    method,
    url,
    headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    payload: body === undefined ? undefined : JSON.stringify(body),
  });

test('the CLI makes a viewer key: it reads the bots and cannot create one', async (ctx) => {
  const owner = await createOwner(ctx.db);
  const { key } = (await cli(ctx, ['create-api-key', '--owner', owner.user.email, '--role', 'viewer', '--name', 'reports'])) as { key: string };
  assert.is((await withKey(ctx, key, 'GET', '/api/bots')).statusCode, 200);
  assert.is((await withKey(ctx, key, 'POST', '/api/bots', { name: 'x' })).statusCode, 403);
  const listed = (await withKey(ctx, owner.apiKey, 'GET', '/api/keys')).json().keys.find((k: { name: string | null }) => k.name === 'reports');
  // listed with its role, its maker and when it was last used (just now)
  assert.is(listed.role, 'viewer');
  assert.is(listed.created_by, owner.user.email);
  assert.is(listed.last_used_at, ctx.clock.now().toISOString());
  // an unknown role is refused with a message naming the roles
  assert.match((await refusal(cli(ctx, ['create-api-key', '--owner', owner.user.email, '--role', 'boss']))).message, /role must be one of/);
});

test("the CLI cannot make a key above the maker's role in another account", async (ctx) => {
  const owner = await createOwner(ctx.db);
  const viewer = await createOwner(ctx.db);
  await addMember(ctx.db, owner.user.id, viewer.user.id, 'viewer', ctx.clock.now());
  assert.match((await refusal(cli(ctx, ['create-api-key', '--owner', viewer.user.email, '--account', owner.user.id, '--role', 'manager']))).message, /cannot be higher than yours \(viewer\)/);
  const { key } = (await cli(ctx, ['create-api-key', '--owner', viewer.user.email, '--account', owner.user.id])) as { key: string };
  // the default is the maker's role there, and the key works in that account
  const accounts = (await withKey(ctx, key, 'GET', '/api/accounts')).json();
  assert.is(accounts.current, owner.user.id);
  // an account they do not belong to is not found
  const stranger = await createOwner(ctx.db);
  assert.match((await refusal(cli(ctx, ['create-api-key', '--owner', stranger.user.email, '--account', owner.user.id]))).message, /Account not found/);
});

test('the account page makes a key with a role and shows who made each; a viewer sees no keys', async (ctx) => {
  const owner = await createOwner(ctx.db);
  const b = await loggedIn(ctx.app, owner.user.email, owner.password);
  await b.get('/account');
  const made = await b.post('/account/api-keys', { name: 'Reporting tool', role: 'viewer' });
  assert.is(made.statusCode, 201);
  assert.match(made.body, /Your new API key \(viewer\), shown only this once/);
  assert.match(made.body, /Reporting tool<\/td>\s*<td>viewer<\/td>\s*<td>[^<]*owner/);
  // a role above the maker's is refused
  const manager = await createOwner(ctx.db);
  await addMember(ctx.db, owner.user.id, manager.user.id, 'manager', ctx.clock.now());
  const m = await loggedIn(ctx.app, manager.user.email, manager.password);
  await m.post('/account/switch', { account_id: owner.user.id });
  await m.get('/account');
  assert.is((await m.post('/account/api-keys', { role: 'owner' })).statusCode, 403);

  const viewer = await createOwner(ctx.db);
  await addMember(ctx.db, owner.user.id, viewer.user.id, 'viewer', ctx.clock.now());
  const v = await loggedIn(ctx.app, viewer.user.email, viewer.password);
  await v.post('/account/switch', { account_id: owner.user.id });
  const page = await v.get('/account');
  assert.is(page.statusCode, 200);
  assert.not.match(page.body, /id="api-keys"/);
  assert.match(page.body, /Switch account/);
  assert.is((await v.post('/account/api-keys', {})).statusCode, 403);
});

test.run();
