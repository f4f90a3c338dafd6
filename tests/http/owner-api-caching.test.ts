// Owner API answers are private (docs/RELIABILITY.md "Abuse"): no shared or browser cache keeps one.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { buildTestApp, createOwner } from '../helpers/app.ts';

type Ctx = Awaited<ReturnType<typeof buildTestApp>>;
const test = suite<Ctx>('owner API caching');

test.before(async (ctx) => {
  Object.assign(ctx, await buildTestApp());
});
test.after(async (ctx) => {
  await ctx.app.close();
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

test.run();
