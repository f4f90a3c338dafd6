// Smaller hardening points of docs/RELIABILITY.md, each with its proof: the metrics token, private
// caching of the owner API, the 413 message on /alerts/*, sign-up not telling registered emails,
// and passwords made only of spaces.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { sameSecret } from '../../src/http/metrics-routes.ts';
import { LINK_BODY_LIMIT } from '../../src/alerts/alert-routes.ts';
import { buildTestApp, createOwner } from '../helpers/app.ts';
import { browser } from '../helpers/dashboard.ts';

type Ctx = Awaited<ReturnType<typeof buildTestApp>>;
const test = suite<Ctx>('smaller hardening findings');

test.before(async (ctx) => {
  Object.assign(ctx, await buildTestApp({ env: { METRICS_TOKEN: 'scrape-secret-123' } }));
});
test.after(async (ctx) => {
  await ctx.app.close();
});

test('the metrics token is compared in constant time and still only the right one opens /metrics', async (ctx) => {
  // equal, unequal, other length, missing
  assert.ok(sameSecret('scrape-secret-123', 'scrape-secret-123'));
  assert.not.ok(sameSecret('scrape-secret-124', 'scrape-secret-123'));
  assert.not.ok(sameSecret('s', 'scrape-secret-123'));
  assert.not.ok(sameSecret(undefined, 'scrape-secret-123'));
  const refused = await ctx.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: 'Bearer scrape-secret-12' } });
  const served = await ctx.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: 'Bearer scrape-secret-123' } });
  // 401 for a prefix of the token, 200 for the token
  assert.is(refused.statusCode, 401);
  assert.is(served.statusCode, 200);
});

test('every owner API answer, errors included, is Cache-Control: no-store', async (ctx) => {
  const owner = await createOwner(ctx.db);
  for (const [url, headers] of [
    ['/api/bots', { authorization: `Bearer ${owner.apiKey}` }],
    ['/api/bots/00000000-0000-4000-8000-000000000000', { authorization: `Bearer ${owner.apiKey}` }],
    ['/api/bots', {}],
  ] as const) {
    const response = await ctx.app.inject({ method: 'GET', url, headers });
    // no shared or browser cache keeps it
    assert.is(response.headers['cache-control'], 'no-store', url);
  }
});

test('a too-large body on /alerts/* is a 413 quoting the limit actually enforced', async (ctx) => {
  const response = await ctx.app.inject({
    method: 'POST',
    url: '/alerts/unsubscribe?t=x.y',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: `List-Unsubscribe=One-Click&pad=${'x'.repeat(LINK_BODY_LIMIT)}`,
  });
  // 413 and the 4096-byte limit, not the server's 1 MiB default
  assert.is(response.statusCode, 413);
  assert.match(response.json().message, `limit ${LINK_BODY_LIMIT} bytes`);
});

test('a dashboard form over its limit is a 413 quoting that limit', async (ctx) => {
  const response = await ctx.app.inject({
    method: 'POST',
    url: '/login',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: `email=${'x'.repeat(70 * 1024)}`,
  });
  // 65536, the dashboard's own limit
  assert.is(response.statusCode, 413);
  assert.match(response.json().message, 'limit 65536 bytes');
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
