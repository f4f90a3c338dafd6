// What sign-up answers (docs/RELIABILITY.md "Abuse"): it never says whether an email is registered,
// and it refuses a password made only of spaces.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { buildTestApp, createOwner } from '../helpers/app.ts';
import { browser } from '../helpers/dashboard.ts';

type Ctx = Awaited<ReturnType<typeof buildTestApp>>;
const test = suite<Ctx>('sign-up answers');

test.before(async (ctx) => {
  Object.assign(ctx, await buildTestApp());
});
test.after(async (ctx) => {
  await ctx.app.close();
});

test('sign-up does not say whether an email is registered', async (ctx) => {
  const owner = await createOwner(ctx.db);
  const b = browser(ctx.app);
  await b.get('/signup');
  const taken = await b.post('/signup', { email: owner.user.email, password: 'long enough pass' });
  // a 400 that neither names the address nor says "exists"
  assert.is(taken.statusCode, 400);
  assert.match(taken.body, /This email address cannot be used for a new account/);
  assert.not.match(taken.body, /already exists/);
  assert.not.ok(taken.body.includes(`A user with email ${owner.user.email}`));
});

test('a password made only of spaces is refused at sign-up and on change', async (ctx) => {
  const b = browser(ctx.app);
  await b.get('/signup');
  const response = await b.post('/signup', { email: `spaces-${Date.now()}@example.test`, password: '        ' });
  // 400 with the reason
  assert.is(response.statusCode, 400);
  assert.match(response.body, /password must not be only spaces/);
});

test.run();
