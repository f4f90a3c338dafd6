// test-runner: alone — three service instances, PgBouncer and HAProxy, with a 30 s lease expiry and a one-minute failover bound: it needs the machine to itself
// The cluster in its short form (bench/cluster.ts, docs/SCALING.md): three instances as
// `npm start` runs them behind HAProxy, on PgBouncer in transaction mode, with the lease holder
// SIGKILLed mid-sweep and restarted, PgBouncer stopped for 10 s and a third of the bots silent.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { runCluster } from '../bench/cluster.ts';
import { createPostgresDatabase, externalServerUrl } from './helpers/database.ts';
import { missingHaproxy } from './helpers/haproxy.ts';
import { missingPgBouncer } from './helpers/pgbouncer.ts';
import { suiteCanRun } from './helpers/system.ts';

const NAME = 'a cluster of three instances behind HAProxy and PgBouncer, with faults';

// The cluster stands on the machine's PostgreSQL server (DATABASE_URL), as in production; the run
// on the embedded server (no DATABASE_URL) leaves it out rather than spend another minute and a half.
if (!externalServerUrl) console.log(`"${NAME}" runs only with DATABASE_URL (the machine's PostgreSQL)`);
else if (suiteCanRun(NAME, missingPgBouncer() ?? missingHaproxy())) {
  const test = suite(NAME);

  test('every acknowledged heartbeat is committed, one sweeper at a time, failover within a minute, each silent site mailed once', async () => {
    const report = await runCluster({
      databaseUrl: await createPostgresDatabase(),
      bots: 300,
      heartbeatEveryMs: 2000,
      staleAfterS: 20,
      sweepEveryS: 5,
      outageMs: 10_000,
      log: process.env.CLUSTER_LOG ? (line) => console.log(line) : undefined,
    });
    console.log(report.line);
    const { line: _line, ...details } = report;
    const why = JSON.stringify(details);
    if (process.env.CLUSTER_LOG) console.log(why);
    // real load, and every 200 is in the database
    assert.ok(report.acked > 1000, why);
    assert.is(report.lost, 0, why);
    // nothing but 200, and 503 with Retry-After while PgBouncer was down
    assert.is(report.unexpected, 0, why);
    // one sweeper at a time, and another instance swept within a minute of the holder's death
    assert.is(report.overlaps, 0, why);
    assert.ok(report.failoverS < 60, why);
    // each silent site named in exactly one stale mail, no reporting site in any
    assert.is(report.mailedOnce, report.silent, why);
    assert.is(report.mailedTwice, 0, why);
    assert.is(report.mailedWrongly, 0, why);
  });

  test.run();
}
