// A viewer reads an account's pages and is offered nothing it may not do (the server refuses it
// anyway, tests/http/route-roles.test.ts); a member is offered the site work.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { addMember } from '../../src/db/accounts.ts';
import { buildTestApp, createBotFor, createOwner } from '../helpers/app.ts';
import { loggedIn } from '../helpers/dashboard.ts';

type Ctx = Awaited<ReturnType<typeof buildTestApp>>;
const test = suite<Ctx>('what a bot page offers each role');

test.before(async (ctx) => {
  Object.assign(ctx, await buildTestApp());
});
test.after(async (ctx) => {
  await ctx.app.close();
});

async function pageAs(ctx: Ctx, role: 'viewer' | 'member') {
  const owner = await createOwner(ctx.db);
  const { bot } = await createBotFor(ctx.db, owner.user.id, { name: 'Shared shop' });
  const person = await createOwner(ctx.db);
  await addMember(ctx.db, owner.user.id, person.user.id, role, ctx.clock.now());
  const b = await loggedIn(ctx.app, person.user.email, person.password);
  assert.is((await b.post('/account/switch', { account_id: owner.user.id })).statusCode, 303);
  const page = await b.get(`/bots/${bot.id}`);
  assert.is(page.statusCode, 200);
  return { page: page.body, bot };
}

test('a viewer sees the site and no maintenance, mute, grace or token form', async (ctx) => {
  const { page, bot } = await pageAs(ctx, 'viewer');
  assert.match(page, /Shared shop/);
  for (const action of ['maintenance', 'maintenance/end', 'mute', 'grace', 'rotate-token']) {
    assert.not.ok(page.includes(`action="/bots/${bot.id}/${action}"`), action);
  }
  assert.match(page, /You can read this account/);
});

test('a member is offered maintenance, mute and grace, but not the token', async (ctx) => {
  const { page, bot } = await pageAs(ctx, 'member');
  for (const action of ['maintenance', 'mute', 'grace']) assert.ok(page.includes(`action="/bots/${bot.id}/${action}"`), action);
  assert.not.ok(page.includes(`action="/bots/${bot.id}/rotate-token"`));
  assert.not.match(page, /You can read this account/);
});

test.run();
