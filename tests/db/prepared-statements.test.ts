// DATABASE_PREPARED (src/db/pg-driver.ts): named statements on PostgreSQL itself, none behind a
// transaction pooler (PgBouncer 1.18 loses them between transactions), and under `auto` a
// refused named statement turns them off and runs again unnamed.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { openPgDatabase } from '../../src/db/pg-driver.ts';
import { createPostgresDatabase } from '../helpers/database.ts';
import { missingPgBouncer, startPgBouncer } from '../helpers/pgbouncer.ts';
import { whenAvailable } from '../helpers/system.ts';

const test = suite('prepared statements (DATABASE_PREPARED)');
const throughPgBouncer = whenAvailable(test, missingPgBouncer());

const NAMED = { name: 'agentdesk_prepared_probe' };
const preparedCount = "SELECT count(*)::int AS n FROM pg_prepared_statements WHERE name = 'agentdesk_prepared_probe'";

test('auto on PostgreSQL itself: statements are named, and prepared on the connection', async () => {
  const db = openPgDatabase({ connectionString: await createPostgresDatabase(), poolSize: 1 });
  try {
    assert.equal(await db.preparedStatements(), { enabled: true, reason: 'DATABASE_PREPARED=auto and PostgreSQL answers directly' });
    await db.query('SELECT 1 AS one', [], NAMED);
    const { rows } = await db.query<{ n: number }>(preparedCount);
    assert.is(rows[0]!.n, 1);
  } finally {
    await db.close();
  }
});

test('off: a named statement runs unnamed', async () => {
  const db = openPgDatabase({ connectionString: await createPostgresDatabase(), poolSize: 1, prepared: 'off' });
  try {
    await db.query('SELECT 1 AS one', [], NAMED);
    const { rows } = await db.query<{ n: number }>(preparedCount);
    assert.is(rows[0]!.n, 0);
  } finally {
    await db.close();
  }
});

test('auto: a named statement the server no longer has (as behind a pooler) is run again unnamed, and naming stops', async () => {
  const notes: string[] = [];
  const db = openPgDatabase({ connectionString: await createPostgresDatabase(), poolSize: 1, log: (message) => notes.push(message) });
  try {
    await db.query('SELECT 1 AS one', [], NAMED);
    // the server forgets it behind the driver's back, as when the next transaction lands on another server connection
    await db.exec('DEALLOCATE agentdesk_prepared_probe');
    const { rows } = await db.query<{ one: number }>('SELECT 1 AS one', [], NAMED);
    assert.equal(rows, [{ one: 1 }]);
    assert.is((await db.preparedStatements()).enabled, false);
    assert.match(notes.join('\n'), /prepared statements off: the server refused a prepared statement \(26000\)/);
  } finally {
    await db.close();
  }
});

throughPgBouncer('auto through PgBouncer in transaction mode: detected before the first statement, none named', async () => {
  const directUrl = await createPostgresDatabase();
  const pgbouncer = await startPgBouncer(directUrl, { poolSize: 2, roundRobin: true });
  const db = openPgDatabase({ connectionString: pgbouncer.url(new URL(directUrl).pathname.slice(1)), poolSize: 3 });
  try {
    const prepared = await db.preparedStatements();
    assert.is(prepared.enabled, false);
    assert.match(prepared.reason, /a connection pooler answers/);
    // many named statements from several clients, none refused
    await Promise.all(Array.from({ length: 30 }, (_, i) => db.query<{ n: number }>('SELECT $1::int AS n', [i], NAMED)));
  } finally {
    await db.close();
    await pgbouncer.close();
  }
});

throughPgBouncer('on through PgBouncer 1.18: the named statement is refused (why auto exists)', async () => {
  const directUrl = await createPostgresDatabase();
  const pgbouncer = await startPgBouncer(directUrl, { poolSize: 2, roundRobin: true });
  const db = openPgDatabase({ connectionString: pgbouncer.url(new URL(directUrl).pathname.slice(1)), poolSize: 3, prepared: 'on' });
  try {
    const results = await Promise.allSettled(Array.from({ length: 30 }, (_, i) => db.query('SELECT $1::int AS n', [i], NAMED)));
    const codes = new Set(results.flatMap((r) => (r.status === 'rejected' ? [(r.reason as { code?: string }).code] : [])));
    assert.ok(codes.has('26000') || codes.has('42P05'), JSON.stringify([...codes]));
  } finally {
    await db.close();
    await pgbouncer.close();
  }
});

test.run();
