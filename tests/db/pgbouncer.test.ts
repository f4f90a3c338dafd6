// test-runner: alone — a service process behind PgBouncer whose sweep must run on every 3-second tick
// The service behind a real PgBouncer 1.18 in transaction pooling (docs/SCALING.md): the process
// as `npm start` runs it, its DATABASE_URL pointing at PgBouncer. PgBouncer hands server
// connections out in turn (server_round_robin), so consecutive transactions of one client land
// on different server connections, as they do under load. Before the sweep lease and
// DATABASE_PREPARED this failed: heartbeats answered 500 ("prepared statement record_heartbeats
// does not exist"), and the sweep's session advisory lock stuck to one server connection, so most
// ticks found it held and skipped.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Database } from '../../src/db/database.ts';
import { openPgDatabase } from '../../src/db/pg-driver.ts';
import { startSmtpSink, type SmtpSink } from '../alerts/alert-harness.ts';
import { createBotFor, createOwner, heartbeatBody } from '../helpers/app.ts';
import { createPostgresDatabase } from '../helpers/database.ts';
import { missingPgBouncer, startPgBouncer, type PgBouncer } from '../helpers/pgbouncer.ts';
import { startService, type ServiceProcess } from '../helpers/service-process.ts';
import { suiteCanRun } from '../helpers/system.ts';

const NAME = 'the service behind PgBouncer in transaction mode';
const TICK_S = 3;

type Ctx = { pgbouncer: PgBouncer; direct: Database; smtp: SmtpSink; service: ServiceProcess; pooledUrl: string };

if (suiteCanRun(NAME, missingPgBouncer())) {
  const test = suite<Ctx>(NAME);

  test.before(async (ctx) => {
    const directUrl = await createPostgresDatabase();
    const database = new URL(directUrl).pathname.slice(1);
    ctx.direct = openPgDatabase({ connectionString: directUrl, poolSize: 2 });
    ctx.pgbouncer = await startPgBouncer(directUrl, { poolSize: 4, roundRobin: true });
    ctx.pooledUrl = ctx.pgbouncer.url(database);
    ctx.smtp = await startSmtpSink();
  });

  test.after(async (ctx) => {
    await ctx.service?.stop();
    await ctx.smtp?.close();
    await ctx.pgbouncer?.close();
    await ctx.direct?.close();
  });

  test('migrates, answers every heartbeat 200, sweeps on every tick and mails the silent site, all through PgBouncer', async (ctx) => {
    // migrations run through PgBouncer too (transaction-scoped lock)
    ctx.service = await startService({
      DATABASE_URL: ctx.pooledUrl,
      SWEEP_CRON: `*/${TICK_S} * * * * *`,
      STALE_AFTER: '4s',
      PROBE: 'off',
      ALERT_GROUP_WINDOW: '0',
      SMTP_URL: `smtp://127.0.0.1:${ctx.smtp.port}`,
      HEARTBEAT_RATE_LIMIT: '1000000',
      DATABASE_POOL_SIZE: '6',
    });
    const quietOwner = await createOwner(ctx.direct);
    const busyOwner = await createOwner(ctx.direct);
    const quiet = await createBotFor(ctx.direct, quietOwner.user.id, { name: 'Quiet shop' });
    const busy = [];
    for (let i = 0; i < 4; i++) busy.push(await createBotFor(ctx.direct, busyOwner.user.id, { name: `Busy shop ${i}` }));

    const statuses = new Map<number, number>();
    const send = async (token: string, site: string) => {
      const response = await fetch(`${ctx.service.url}/api/bots/wordpress-heartbeat`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-bot-token': token },
        body: JSON.stringify(heartbeatBody({ site_url: site })),
      });
      await response.arrayBuffer();
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
    };
    await send(quiet.token, 'https://quiet.example.test');

    const sweeps = async () => {
      const text = await (await fetch(`${ctx.service.url}/metrics`)).text();
      return Number(/^agentdesk_sweep_duration_seconds_count (\d+)/m.exec(text)?.[1] ?? 0);
    };
    const firstCount = await sweeps();
    const from = Date.now();
    // 15 s of heartbeats from the busy sites, several in flight at once; the quiet one says nothing
    while (Date.now() - from < 15_000) {
      await Promise.all(busy.map((bot, i) => send(bot.token, `https://busy${i}.example.test`)));
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const lastCount = await sweeps();
    const ticks = Math.floor(Date.now() / 1000 / TICK_S) - Math.floor(from / 1000 / TICK_S);

    // every heartbeat answered 200
    assert.equal([...statuses.keys()], [200], JSON.stringify(Object.fromEntries(statuses)));
    // a sweep ran on every tick (one may still be running at either edge of the window)
    assert.ok(ticks >= 4, `only ${ticks} ticks`);
    assert.ok(lastCount - firstCount >= ticks - 1, `${lastCount - firstCount} sweeps in ${ticks} ticks`);
    // the quiet site's owner got its stale mail through a real SMTP server; nobody else got one
    for (let i = 0; i < 100 && ctx.smtp.received.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(ctx.smtp.received.map((mail) => mail.to), [quietOwner.user.email]);
    assert.match(ctx.smtp.received[0]!.text, /Quiet shop/);
    // the terms of the sweep lease follow one another without overlap
    const { rows } = await ctx.direct.query<{ overlaps: number; terms: number }>(
      `SELECT count(*)::int AS terms, count(*) FILTER (WHERE acquired_at < previous_end)::int AS overlaps
       FROM (SELECT acquired_at, lag(ends_at) OVER (ORDER BY token) AS previous_end FROM sweep_lease_terms) t`,
    );
    assert.ok(rows[0]!.terms >= ticks - 1);
    assert.is(rows[0]!.overlaps, 0);
    // prepared statements were turned off because PgBouncer answered, not because one failed
    assert.match(ctx.service.stdout(), /prepared statements off: DATABASE_PREPARED=auto and a connection pooler answers/);
    // the history partitions were created through the pooler (today's and the days ahead), and every
    // acknowledged heartbeat is in a dated partition, none left in the default one
    const { rows: partitions } = await ctx.direct.query<{ dated: number; in_default: number }>(
      `SELECT (SELECT count(*)::int FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
               WHERE i.inhparent = 'heartbeat_hours'::regclass AND c.relname ~ '_p[0-9]{8}$') AS dated,
              (SELECT count(*)::int FROM heartbeat_hours_default) AS in_default`,
    );
    assert.ok(partitions[0]!.dated >= 4, `${partitions[0]!.dated} dated partitions`);
    assert.is(partitions[0]!.in_default, 0);
    assert.match(ctx.service.stdout(), /history partitions maintained/);
    assert.not.match(ctx.service.stdout(), /history partition change failed|history partitions not maintained/);
  });

  test.run();
}
