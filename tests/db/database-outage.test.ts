// Database faults (docs/RELIABILITY.md "Faults"), against a PostgreSQL this suite starts and stops
// itself: stopped in the middle of heartbeat traffic, every request is answered 200 or 503 with
// Retry-After (never 500), /readyz says 503, /healthz and /metrics are still served, nothing
// crashes; started again, the same app recovers without a restart, and every heartbeat it
// acknowledged is in the database; and a long outage raises no false stale alarms.
import type { FastifyInstance } from 'fastify';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { buildApp } from '../../src/app.ts';
import { markIngestAlive } from '../../src/alerts/ingest-liveness.ts';
import { createSweep, sweepSettings } from '../../src/alerts/sweep.ts';
import { DatabaseUnavailableError } from '../../src/db/database.ts';
import type { Database } from '../../src/db/database.ts';
import { migrate } from '../../src/db/migrate.ts';
import { openPgDatabase } from '../../src/db/pg-driver.ts';
import { createBotFor, createClock, createOwner, heartbeatBody, postHeartbeat, testConfig, type Clock } from '../helpers/app.ts';
import { loggedIn, type Browser } from '../helpers/dashboard.ts';
import { missingPostgresBinaries, startOwnPostgres, type OwnPostgres } from '../helpers/own-postgres.ts';
import { suiteCanRun } from '../helpers/system.ts';

type Ctx = {
  pg: OwnPostgres;
  db: Database;
  app: FastifyInstance;
  clock: Clock;
  tokens: string[];
  botIds: string[];
  b: Browser;
  accepted: number;
  unhandled: unknown[];
};
const HOUR = 3_600_000;
const NAME = 'database outage';

if (suiteCanRun(NAME, missingPostgresBinaries())) {
  const test = suite<Ctx>(NAME);
  const onUnhandled = (reason: unknown) => ctxRef?.unhandled.push(reason);
  let ctxRef: Ctx | undefined;

  test.before(async (ctx) => {
    ctxRef = ctx;
    ctx.unhandled = [];
    ctx.accepted = 0;
    process.on('unhandledRejection', onUnhandled);
    ctx.pg = await startOwnPostgres();
    // A short connect timeout: a request waits at most 1 s for the missing database.
    ctx.db = openPgDatabase({ connectionString: ctx.pg.url, connectTimeoutMs: 1000, onError: () => {} });
    await migrate(ctx.db);
    ctx.clock = createClock(new Date());
    ctx.app = await buildApp({ config: testConfig({ HEARTBEAT_RATE_LIMIT: '1000000' }), db: ctx.db, now: ctx.clock.now, logger: false });
    await ctx.app.ready();
    const owner = await createOwner(ctx.db);
    ctx.tokens = [];
    ctx.botIds = [];
    for (let i = 0; i < 20; i++) {
      const { bot, token } = await createBotFor(ctx.db, owner.user.id, { name: `Outage ${i}` });
      ctx.tokens.push(token);
      ctx.botIds.push(bot.id);
    }
    // Five more sites that reported before the outage and not after it.
    for (let i = 0; i < 5; i++) await postHeartbeat(ctx.app, (await createBotFor(ctx.db, owner.user.id, { name: `Quiet ${i}` })).token);
    await markIngestAlive(ctx.db, ctx.clock.now());
    ctx.b = await loggedIn(ctx.app, owner.user.email, owner.password);
  });
  test.after(async (ctx) => {
    process.off('unhandledRejection', onUnhandled);
    await ctx.app?.close().catch(() => {});
    await ctx.db?.close().catch(() => {});
    ctx.pg?.destroy();
  });

  /** Sends one heartbeat per bot, all at once; counts the acknowledged ones. */
  const wave = async (ctx: Ctx) => {
    const responses = await Promise.all(ctx.tokens.map((token, i) => postHeartbeat(ctx.app, token, heartbeatBody({ site_url: `https://site${i}.example` }))));
    ctx.accepted += responses.filter((response) => response.statusCode === 200).length;
    return responses;
  };

  test('stopped in the middle of traffic: every answer is 200 or 503 with Retry-After, never a 500', async (ctx) => {
    // traffic before, during and after the stop
    const waves = [wave(ctx)];
    const stopping = ctx.pg.stop('fast');
    while (waves.length < 10) waves.push(wave(ctx));
    await stopping;
    waves.push(wave(ctx));
    const responses = (await Promise.all(waves)).flat();
    const statuses = new Set(responses.map((response) => response.statusCode));
    // only the two documented answers
    assert.ok([...statuses].every((status) => status === 200 || status === 503), [...statuses].join(','));
    // the last wave, after the stop, is all 503 in the seed's shape with Retry-After
    const last = responses.slice(-ctx.tokens.length);
    for (const response of last) {
      assert.is(response.statusCode, 503);
      assert.ok(Number(response.headers['retry-after']) > 0);
      assert.is(response.json().success, false);
    }
  });

  test('while it is down: readiness 503, liveness and metrics served, API and pages 503', async (ctx) => {
    const readyz = await ctx.app.inject({ method: 'GET', url: '/readyz' });
    // not ready, with Retry-After
    assert.is(readyz.statusCode, 503);
    assert.ok(readyz.headers['retry-after']);
    // alive, and scrapeable (the process metrics still tell the operator what is going on)
    assert.is((await ctx.app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200);
    const metrics = await ctx.app.inject({ method: 'GET', url: '/metrics' });
    assert.is(metrics.statusCode, 200);
    assert.match(metrics.body, /agentdesk_heartbeats_total\{result="unavailable"\} [1-9]/);
    // the owner API and the dashboard answer 503, not 500
    const api = await ctx.app.inject({ method: 'GET', url: '/api/bots', cookies: ctx.b.cookies });
    assert.is(api.statusCode, 503);
    const page = await ctx.b.get('/bots');
    assert.is(page.statusCode, 503);
    assert.match(page.body, /Temporarily unavailable/);
    // the ingest-liveness stamp fails as "unavailable" (the job logs it and tries again)
    const stamp = await markIngestAlive(ctx.db, ctx.clock.now()).catch((error: unknown) => error);
    assert.instance(stamp, DatabaseUnavailableError);
  });

  test('started again: the same app recovers without a restart and kept every acknowledged heartbeat', async (ctx) => {
    await ctx.pg.start();
    // as if the database had been down for two hours
    ctx.clock.advance(2 * HOUR);
    // a few tries while the pool replaces its broken connections
    let recovered = false;
    for (let attempt = 0; attempt < 20 && !recovered; attempt++) {
      recovered = (await wave(ctx)).every((response) => response.statusCode === 200);
    }
    assert.ok(recovered, 'heartbeats are accepted again');
    assert.is((await ctx.app.inject({ method: 'GET', url: '/readyz' })).statusCode, 200);
    assert.is((await ctx.b.get('/bots')).statusCode, 200);
    const { rows } = await ctx.db.query<{ total: number }>('SELECT coalesce(sum(count), 0)::int AS total FROM heartbeat_hours WHERE bot_id = ANY($1::uuid[])', [ctx.botIds]);
    // every 200 was committed (503s may or may not have been: the client retries those)
    assert.ok(rows[0]!.total >= ctx.accepted, `${rows[0]!.total} stored < ${ctx.accepted} acknowledged`);
    // and nothing went unhandled in the process
    assert.equal(ctx.unhandled, []);
  });

  test('after a long outage no site is called stale for the silence the outage caused', async (ctx) => {
    // the first stamp after recovery sees the gap
    assert.is(await markIngestAlive(ctx.db, ctx.clock.now()), true);
    const sweep = createSweep({ db: ctx.db, ...sweepSettings(testConfig({ STALE_AFTER: '10m' })) });
    const result = await sweep.run(ctx.clock.now());
    // the five quiet sites are two hours silent, but could not have reached us: no flip, no mail
    assert.is(result.flipped, 0);
    assert.is(result.staleMails, 0);
  });

  test.run();
}
