// A member leaves an account by themselves: their key there stops working; the last owner cannot leave.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parseCommand, runCommand } from '../../src/cli/commands.ts';
import { addMember } from '../../src/db/accounts.ts';
import { DEFAULT_QUOTAS } from '../../src/domain/quotas.ts';
import { buildTestApp, createOwner } from '../helpers/app.ts';

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

test.run();
