// The weekly digest's settings belong to the account: every member reads the same, a member may
// change them, a viewer may not (docs/attention.md "The weekly digest").
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parseCommand, runCommand } from '../../src/cli/commands.ts';
import { addMember } from '../../src/db/accounts.ts';
import { DEFAULT_QUOTAS } from '../../src/domain/quotas.ts';
import { buildTestApp, createOwner } from '../helpers/app.ts';

type Ctx = Awaited<ReturnType<typeof buildTestApp>>;
const test = suite<Ctx>('digest settings of an account');

test.before(async (ctx) => {
  Object.assign(ctx, await buildTestApp());
});
test.after(async (ctx) => {
  await ctx.app.close();
});

const call = (ctx: Ctx, key: string, method: 'GET' | 'PUT', body?: unknown) =>
  ctx.app.inject({
    method,
    url: '/api/attention/digest',
    headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    payload: body === undefined ? undefined : JSON.stringify(body),
  });

async function keyIn(ctx: Ctx, accountId: string, role: 'member' | 'viewer') {
  const person = await createOwner(ctx.db, { timezone: 'Asia/Tokyo' });
  await addMember(ctx.db, accountId, person.user.id, role, ctx.clock.now());
  const made = await runCommand({ db: ctx.db, now: ctx.clock.now, quotas: DEFAULT_QUOTAS }, parseCommand(['create-api-key', '--owner', person.user.email, '--account', accountId]));
  return (made as { key: string }).key;
}

test("a member changes the account's digest; the owner reads the same, in the account's time zone; a viewer may only read", async (ctx) => {
  const owner = await createOwner(ctx.db, { timezone: 'Europe/Paris' });
  const member = await keyIn(ctx, owner.user.id, 'member');
  const viewer = await keyIn(ctx, owner.user.id, 'viewer');
  const changed = await call(ctx, member, 'PUT', { weekday: 3, hour: 7 });
  assert.is(changed.statusCode, 200, changed.body);
  const seen = (await call(ctx, owner.apiKey, 'GET')).json();
  assert.equal([seen.weekday, seen.hour, seen.timezone], [3, 7, 'Europe/Paris']);
  assert.equal((await call(ctx, viewer, 'GET')).json().weekday, 3);
  assert.is((await call(ctx, viewer, 'PUT', { hour: 8 })).statusCode, 403);
  // the member's own account keeps its own settings
  const own = await createOwner(ctx.db);
  assert.is.not((await call(ctx, own.apiKey, 'GET')).json().weekday, undefined);
});

test.run();
