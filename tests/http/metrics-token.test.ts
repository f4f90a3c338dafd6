// The metrics token (docs/RELIABILITY.md "Abuse"): compared in constant time, and only the right
// one opens /metrics.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { sameSecret } from '../../src/http/metrics-routes.ts';
import { buildTestApp } from '../helpers/app.ts';

type Ctx = Awaited<ReturnType<typeof buildTestApp>>;
const test = suite<Ctx>('the metrics token');

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

test.run();
