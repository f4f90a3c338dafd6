// A body over its route's limit is a 413 that quotes the limit actually enforced (docs/RELIABILITY.md
// "Bad input"): the signed-link routes' own small limit, and the dashboard forms'.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { LINK_BODY_LIMIT } from '../../src/alerts/alert-routes.ts';
import { buildTestApp } from '../helpers/app.ts';

type Ctx = Awaited<ReturnType<typeof buildTestApp>>;
const test = suite<Ctx>('body limits');

test.before(async (ctx) => {
  Object.assign(ctx, await buildTestApp());
});
test.after(async (ctx) => {
  await ctx.app.close();
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

test.run();
