// docs/RELIABILITY.md "Abuse": guessing bot tokens or API keys is limited per address. Only failed
// authentications count; after AUTH_FAILURE_LIMIT of them the address gets 429 until the window ends.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { AUTH_FAILURE_WINDOW_MS } from '../../src/http/auth-failure-limit.ts';
import { createFailureCounter } from '../../src/http/failure-counter.ts';
import { buildTestApp, createBotFor, createClock, createOwner, postHeartbeat } from '../helpers/app.ts';

type Ctx = Awaited<ReturnType<typeof buildTestApp>>;
const test = suite<Ctx>('failed authentication limit');

test.before(async (ctx) => {
  Object.assign(ctx, await buildTestApp({ env: { AUTH_FAILURE_LIMIT: '3', METRICS_TOKEN: 'scrape-secret-456' }, clock: createClock() }));
});
test.after(async (ctx) => {
  await ctx.app.close();
});

const madeUp = (i: number) => `bot_${'x'.repeat(40)}${i}`;
const heartbeatFrom = (ctx: Ctx, address: string, token: string) =>
  ctx.app.inject({
    method: 'POST',
    url: '/api/bots/wordpress-heartbeat',
    remoteAddress: address,
    headers: { 'content-type': 'application/json', 'x-bot-token': token },
    payload: JSON.stringify({ site_url: 'https://guess.example', plugin_version: '1.1.0', wp_version: '6.1.1', is_active: true }),
  });

test('made-up tokens on heartbeats and validate share one budget per address, then 429', async (ctx) => {
  const statuses: number[] = [];
  for (let i = 0; i < 2; i++) statuses.push((await heartbeatFrom(ctx, '192.0.2.10', madeUp(i))).statusCode);
  statuses.push((await ctx.app.inject({ method: 'POST', url: '/api/bots/validate', remoteAddress: '192.0.2.10', headers: { 'x-bot-token': madeUp(9) } })).statusCode);
  const limited = await heartbeatFrom(ctx, '192.0.2.10', madeUp(3));
  // three failures, then the fourth attempt is refused before any token lookup
  assert.equal(statuses, [401, 401, 401]);
  assert.is(limited.statusCode, 429);
  assert.ok(Number(limited.headers['retry-after']) > 0);
  // in the seed's error shape
  assert.is(limited.json().success, false);
  assert.match(limited.json().message, /Too many failed authentications from this address/);
  const validate = await ctx.app.inject({ method: 'POST', url: '/api/bots/validate', remoteAddress: '192.0.2.10', headers: { 'x-bot-token': madeUp(10) } });
  // the validate endpoint is closed to that address too
  assert.is(validate.statusCode, 429);
});

test('other addresses and correct tokens are not affected', async (ctx) => {
  const owner = await createOwner(ctx.db);
  const { token } = await createBotFor(ctx.db, owner.user.id);
  for (let i = 0; i < 3; i++) await heartbeatFrom(ctx, '192.0.2.20', madeUp(i));
  const other = await heartbeatFrom(ctx, '192.0.2.21', token);
  // a site at another address still reports
  assert.is(other.statusCode, 200);
  const statuses: number[] = [];
  for (let i = 0; i < 6; i++) statuses.push((await postHeartbeat(ctx.app, token)).statusCode);
  // successes never count: six good heartbeats from one address, all accepted
  assert.equal(statuses, [200, 200, 200, 200, 200, 200]);
});

test('bad API keys count too, and the address is let back in when the window ends', async (ctx) => {
  const owner = await createOwner(ctx.db);
  const api = (key: string) => ctx.app.inject({ method: 'GET', url: '/api/bots', remoteAddress: '192.0.2.30', headers: { authorization: `Bearer ${key}` } });
  const statuses: number[] = [];
  for (let i = 0; i < 4; i++) statuses.push((await api(`adk_guess${i}`)).statusCode);
  // three bad keys, then 429
  assert.equal(statuses, [401, 401, 401, 429]);
  ctx.clock.advance(AUTH_FAILURE_WINDOW_MS);
  // after the window, the right key works from that address
  assert.is((await api(owner.apiKey)).statusCode, 200);
});

test('guessing the metrics token counts as failed authentication: 429 after the limit, the right token still works elsewhere', async (ctx) => {
  const scrape = (address: string, token: string) =>
    ctx.app.inject({ method: 'GET', url: '/metrics', remoteAddress: address, headers: { authorization: `Bearer ${token}` } });
  const statuses: number[] = [];
  for (let i = 0; i < 4; i++) statuses.push((await scrape('192.0.2.40', `guess-${i}`)).statusCode);
  // three wrong tokens, then the address is refused before the token is even compared
  assert.equal(statuses, [401, 401, 401, 429]);
  const limited = await scrape('192.0.2.40', 'scrape-secret-456');
  // the limit holds for that address even with the right token, until the window ends
  assert.is(limited.statusCode, 429);
  assert.ok(Number(limited.headers['retry-after']) > 0);
  // Prometheus at another address is not affected
  assert.is((await scrape('192.0.2.41', 'scrape-secret-456')).statusCode, 200);
});

test('the counter holds a bounded number of addresses, so a spray of addresses cannot exhaust memory', () => {
  const clock = createClock();
  const counter = createFailureCounter({ max: 2, windowMs: 60_000, now: clock.now, maxKeys: 100 });
  for (let i = 0; i < 1000; i++) counter.fail(`198.51.100.${i}`);
  // at most maxKeys entries, the newest kept
  assert.ok(counter.size <= 100);
  counter.fail('198.51.100.999');
  assert.ok(counter.retryAfterSeconds('198.51.100.999') > 0);
});

test.run();
