// Process faults (docs/RELIABILITY.md "Faults"), on the real service process (`npm start`'s command
// line) and a PostgreSQL this suite starts itself:
//   - SIGKILL under heartbeat load loses no acknowledged heartbeat (an answer 200 is only sent
//     after the commit that holds it);
//   - SIGTERM under load answers the requests in flight, flushes pending writes, stops the jobs and
//     exits 0 within 10 s, again with every acknowledged heartbeat stored.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Database } from '../src/db/database.ts';
import { openPgDatabase } from '../src/db/pg-driver.ts';
import { createBotFor, createOwner, heartbeatBody } from './helpers/app.ts';
import { missingPostgresBinaries, startOwnPostgres, type OwnPostgres } from './helpers/own-postgres.ts';
import { startService, type ServiceProcess } from './helpers/service-process.ts';
import { suiteCanRun } from './helpers/system.ts';

const NAME = 'process faults';
const BOTS = 20;

type Ctx = { pg: OwnPostgres; db: Database; tokens: string[]; botIds: string[] };

interface Load {
  /** Heartbeats answered 200, per bot index. */
  acked: number[];
  statuses: Map<number, number>;
  socketErrors: number;
  /** Requests sent and not yet answered. */
  inFlight: Set<Promise<unknown>>;
  stop(): Promise<void>;
}

/** One loop per bot, each sending heartbeats back to back until stopped or the service is gone. */
function heartbeatLoad(service: ServiceProcess, tokens: string[]): Load {
  let running = true;
  const load: Load = { acked: tokens.map(() => 0), statuses: new Map(), socketErrors: 0, inFlight: new Set(), stop: async () => {} };
  const loops = tokens.map(async (token, i) => {
    while (running) {
      const request = fetch(`${service.url}/api/bots/wordpress-heartbeat`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-bot-token': token },
        body: JSON.stringify(heartbeatBody({ site_url: `https://load${i}.example` })),
      });
      load.inFlight.add(request);
      try {
        const response = await request;
        await response.arrayBuffer();
        load.statuses.set(response.status, (load.statuses.get(response.status) ?? 0) + 1);
        if (response.status === 200) load.acked[i]!++;
      } catch {
        load.socketErrors++;
        // the service is gone: this loop is done
        if (service.child.exitCode !== null || service.child.signalCode !== null) return;
      } finally {
        load.inFlight.delete(request);
      }
    }
  });
  load.stop = async () => {
    running = false;
    await Promise.all(loops);
  };
  return load;
}

async function untilAcked(load: Load, total: number) {
  for (let i = 0; i < 600 && load.acked.reduce((a, b) => a + b, 0) < total; i++) await new Promise((resolve) => setTimeout(resolve, 50));
}

async function storedPerBot(ctx: Ctx): Promise<number[]> {
  const { rows } = await ctx.db.query<{ bot_id: string; total: number }>(
    'SELECT bot_id, sum(count)::int AS total FROM heartbeat_hours WHERE bot_id = ANY($1::uuid[]) GROUP BY bot_id',
    [ctx.botIds],
  );
  return ctx.botIds.map((id) => rows.find((row) => row.bot_id === id)?.total ?? 0);
}

if (suiteCanRun(NAME, missingPostgresBinaries())) {
  const test = suite<Ctx>(NAME);

  test.before(async (ctx) => {
    ctx.pg = await startOwnPostgres();
    // the first start migrates the database; then the fixtures are written into it
    const first = await startService({ DATABASE_URL: ctx.pg.url, LOG_LEVEL: 'warn' });
    await first.stop();
    ctx.db = openPgDatabase({ connectionString: ctx.pg.url, onError: () => {} });
    const owner = await createOwner(ctx.db);
    ctx.tokens = [];
    ctx.botIds = [];
    for (let i = 0; i < BOTS; i++) {
      const { bot, token } = await createBotFor(ctx.db, owner.user.id, { name: `Load ${i}` });
      ctx.tokens.push(token);
      ctx.botIds.push(bot.id);
    }
  });
  test.after(async (ctx) => {
    await ctx.db?.close();
    ctx.pg?.destroy();
  });

  test('SIGKILL under load loses no acknowledged heartbeat', async (ctx) => {
    const before = await storedPerBot(ctx);
    const service = await startService({ DATABASE_URL: ctx.pg.url, LOG_LEVEL: 'warn', HEARTBEAT_RATE_LIMIT: '1000000' });
    const load = heartbeatLoad(service, ctx.tokens);
    await untilAcked(load, 400);
    service.child.kill('SIGKILL');
    await load.stop();
    await service.stop();
    const after = await storedPerBot(ctx);
    // there was real load, and then the process was gone
    assert.ok(load.acked.reduce((a, b) => a + b, 0) >= 400);
    for (let i = 0; i < BOTS; i++) {
      // every 200 for this bot is in the database
      assert.ok(after[i]! - before[i]! >= load.acked[i]!, `bot ${i}: ${after[i]! - before[i]!} stored < ${load.acked[i]} acknowledged`);
    }
  });

  test('SIGTERM under load answers what is in flight, flushes, and exits 0 within 10 s', async (ctx) => {
    const before = await storedPerBot(ctx);
    const service = await startService({ DATABASE_URL: ctx.pg.url, LOG_LEVEL: 'warn', HEARTBEAT_RATE_LIMIT: '1000000' });
    const load = heartbeatLoad(service, ctx.tokens);
    await untilAcked(load, 400);
    const inFlight = [...load.inFlight];
    const exited = new Promise<number | null>((resolve) => service.child.once('exit', (code) => resolve(code)));
    const signalledAt = performance.now();
    service.child.kill('SIGTERM');
    const code = await exited;
    const seconds = (performance.now() - signalledAt) / 1000;
    const answered = await Promise.allSettled(inFlight);
    await load.stop();
    await service.stop();
    // a clean exit, well inside the 10 s an orchestrator allows before SIGKILL
    assert.is(code, 0);
    assert.ok(seconds < 10, `exited after ${seconds.toFixed(1)} s`);
    // the requests in flight when the signal came were answered, not cut off
    assert.is(answered.filter((result) => result.status === 'rejected').length, 0, 'in-flight requests cut off');
    // nothing but 200, or 503 for a request that arrived while closing
    assert.ok([...load.statuses.keys()].every((status) => status === 200 || status === 503), [...load.statuses.keys()].join(','));
    const after = await storedPerBot(ctx);
    for (let i = 0; i < BOTS; i++) {
      // every acknowledged heartbeat was flushed before the exit
      assert.ok(after[i]! - before[i]! >= load.acked[i]!, `bot ${i}: ${after[i]! - before[i]!} stored < ${load.acked[i]} acknowledged`);
    }
  });

  test.run();
}
