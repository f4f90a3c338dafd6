// The sweep lease (src/db/sweep-lease.ts): one holder at a time, expiry after a crash, and fencing
// by token, on a real PostgreSQL. Times are passed explicitly (the lease's injected clock).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Database } from '../../src/db/database.ts';
import { migrate } from '../../src/db/migrate.ts';
import { openPgDatabase } from '../../src/db/pg-driver.ts';
import { acquireSweepLease, LeaseLostError, releaseSweepLease, renewSweepLease, selectLeaseTerms } from '../../src/db/sweep-lease.ts';
import { createPostgresDatabase } from '../helpers/database.ts';

const TTL = 30_000;
const T0 = new Date('2026-12-04T12:00:00Z');
const at = (ms: number) => new Date(T0.getTime() + ms);

type Ctx = { db: Database; other: Database };
const test = suite<Ctx>('sweep lease');

test.before(async (ctx) => {
  const url = await createPostgresDatabase();
  ctx.db = openPgDatabase({ connectionString: url, poolSize: 4 });
  // A second instance: its own pool on the same database.
  ctx.other = openPgDatabase({ connectionString: url, poolSize: 4 });
  await migrate(ctx.db);
});

test.after(async ({ db, other }) => {
  await db.close();
  await other.close();
});

test.before.each(async ({ db }) => {
  await db.exec(`UPDATE sweep_lease SET holder = NULL, expires_at = '-infinity'; TRUNCATE sweep_lease_terms`);
});

test('two holders: the second is refused while the first holds it, and takes it with the next token once it is released', async ({ db, other }) => {
  const a = await acquireSweepLease(db, 'a', TTL, at(0));
  const refused = await acquireSweepLease(other, 'b', TTL, at(1000));
  assert.ok(a);
  assert.is(refused, undefined);
  // the holder itself cannot take it a second time either (one run per term)
  assert.is(await acquireSweepLease(db, 'a', TTL, at(2000)), undefined);
  assert.is(await releaseSweepLease(db, a, at(3000)), true);
  const b = await acquireSweepLease(other, 'b', TTL, at(4000));
  assert.equal(b, { holder: 'b', token: a.token + 1 });
});

test('a holder that stops renewing keeps the lease until its expiry, then another instance takes it', async ({ db, other }) => {
  const a = (await acquireSweepLease(db, 'a', TTL, at(0)))!;
  await db.transaction((tx) => renewSweepLease(tx, a, TTL, at(10_000)));
  // renewed at 10 s: still held at 39.9 s, free at 40 s
  assert.is(await acquireSweepLease(other, 'b', TTL, at(39_900)), undefined);
  const b = await acquireSweepLease(other, 'b', TTL, at(40_000));
  assert.is(b?.token, a.token + 1);
  // the history shows two terms that do not overlap: a until its last expiry, then b
  const terms = await selectLeaseTerms(db);
  assert.equal(
    terms.map((t) => [t.holder, t.acquired_at.getTime() - T0.getTime(), t.ends_at.getTime() - T0.getTime(), t.released]),
    [
      ['a', 0, 40_000, false],
      ['b', 40_000, 70_000, false],
    ],
  );
});

test('fencing: after a takeover, a transaction of the old holder renews nothing and writes nothing', async ({ db, other }) => {
  const a = (await acquireSweepLease(db, 'a', TTL, at(0)))!;
  await acquireSweepLease(other, 'b', TTL, at(60_000));
  await db.exec('CREATE TABLE IF NOT EXISTS lease_probe (n int)');
  const failure = await db
    .transaction(async (tx) => {
      await renewSweepLease(tx, a, TTL, at(61_000));
      await tx.query('INSERT INTO lease_probe VALUES (1)');
    })
    .then(
      () => undefined,
      (error: unknown) => error,
    );
  assert.instance(failure, LeaseLostError);
  const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM lease_probe');
  assert.is(rows[0]!.n, 0);
  // and releasing the lost term leaves the new holder's lease alone
  assert.is(await releaseSweepLease(db, a, at(62_000)), false);
  assert.is(await acquireSweepLease(db, 'c', TTL, at(63_000)), undefined);
});

test('an expired lease nobody took is still its holder’s: the renewal succeeds', async ({ db }) => {
  const a = (await acquireSweepLease(db, 'a', TTL, at(0)))!;
  await db.transaction((tx) => renewSweepLease(tx, a, TTL, at(90_000)));
  const [term] = await selectLeaseTerms(db);
  assert.is(term!.ends_at.getTime(), at(120_000).getTime());
});

test('a takeover tried while a fenced transaction runs waits for its commit, then finds the lease renewed', async ({ db, other }) => {
  const a = (await acquireSweepLease(db, 'a', TTL, at(0)))!;
  let takeover: Promise<unknown> | undefined;
  await db.transaction(async (tx) => {
    // renewed at 25 s (until 55 s); the other instance tries at 31 s, after the old expiry
    await renewSweepLease(tx, a, TTL, at(25_000));
    takeover = acquireSweepLease(other, 'b', TTL, at(31_000));
    // wait until the takeover reaches the row lock this transaction holds (bounded)
    let rows: Array<{ waiting: number }> = [];
    for (let i = 0; i < 100 && rows[0]?.waiting !== 1; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      ({ rows } = await other.query<{ waiting: number }>(
        "SELECT count(*)::int AS waiting FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()",
      ));
    }
    // it is waiting on the lease row, not running past it
    assert.is(rows[0]!.waiting, 1);
  });
  assert.is(await takeover, undefined);
  const terms = await selectLeaseTerms(db);
  assert.equal(terms.map((t) => t.holder), ['a']);
});

test.run();
