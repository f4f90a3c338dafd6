import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { buildTestApp } from '../helpers/app.ts';

type Ctx = Awaited<ReturnType<typeof buildTestApp>>;
const test = suite<Ctx>('errors raised before routing');
test.before(async (ctx) => {
  Object.assign(ctx, await buildTestApp());
});
test.after(async (ctx) => {
  await ctx.app.close();
});

test('a path segment over the length limit is a 414 in the seed error shape', async (ctx) => {
  const response = await ctx.app.inject({ method: 'GET', url: `/api/bots/${'x'.repeat(300)}` });
  // Fastify's router refuses it before any route; we still answer in our own shape
  assert.is(response.statusCode, 414);
  assert.equal(response.json(), { success: false, message: 'A path segment is too long' });
});

test('a malformed percent-escape in the path is a 400 in the seed error shape', async (ctx) => {
  const response = await ctx.app.inject({ method: 'GET', url: '/api/bots/%E0%A4%A' });
  // not Fastify's default {error, code, statusCode} body
  assert.is(response.statusCode, 400);
  assert.equal(response.json(), { success: false, message: 'Malformed URL' });
});

test.run();
