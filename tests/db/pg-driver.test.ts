// The behaviour every repository relies on from the query interface (src/db/database.ts over
// src/db/pg-driver.ts), on the run's server: the embedded PostgreSQL, or DATABASE_URL's.
import pg from 'pg';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Database } from '../../src/db/database.ts';
import { migrate } from '../../src/db/migrate.ts';
import { openPgDatabase } from '../../src/db/pg-driver.ts';
import { buildTestApp, createBotFor, createOwner, heartbeatBody, postHeartbeat } from '../helpers/app.ts';
import { createPostgresDatabase, serverKind } from '../helpers/database.ts';

const test = suite<{ db: Database }>(`query interface on the ${serverKind}`);
test.before(async (ctx) => {
  ctx.db = openPgDatabase({ connectionString: await createPostgresDatabase(), poolSize: 4 });
  await ctx.db.exec(`
    CREATE TABLE things (id serial PRIMARY KEY, name text UNIQUE, big bigint, at timestamptz, doc jsonb);
    INSERT INTO things (name, big, at, doc) VALUES ('a', 9007199254740991, '2026-01-01T00:00:00Z', '{"k":[1,2]}');
  `);
});
test.after(async (ctx) => {
  await ctx.db.close();
});

test('returns rows with JavaScript types: numbers for bigint, Date for timestamptz, objects for jsonb', async ({ db }) => {
  const { rows } = await db.query<{ big: number; at: Date; doc: unknown; n: number }>(
    'SELECT big, at, doc, (SELECT count(*) FROM things) AS n FROM things WHERE name = $1',
    ['a'],
  );
  // bigint and count(*) arrive as numbers
  assert.is(rows[0]?.big, 9007199254740991);
  assert.is(rows[0]?.n, 1);
  // timestamptz as Date
  assert.ok(rows[0]?.at instanceof Date);
  assert.is(rows[0]?.at.toISOString(), '2026-01-01T00:00:00.000Z');
  // jsonb as a parsed object
  assert.equal(rows[0]?.doc, { k: [1, 2] });
});

test('reports rowCount for SELECT and for UPDATE without RETURNING', async ({ db }) => {
  const selected = await db.query('SELECT * FROM things');
  const updated = await db.query("UPDATE things SET big = big WHERE name = 'a'");
  const none = await db.query("UPDATE things SET big = 1 WHERE name = 'missing'");
  // rows counted the same way on both drivers
  assert.is(selected.rowCount, 1);
  assert.is(updated.rowCount, 1);
  assert.is(none.rowCount, 0);
});

test('commits a transaction and returns its value', async ({ db }) => {
  const result = await db.transaction(async (tx) => {
    await tx.query("INSERT INTO things (name) VALUES ('committed')");
    return 'done';
  });
  const { rowCount } = await db.query("SELECT 1 FROM things WHERE name = 'committed'");
  // the value comes back and the row is there
  assert.is(result, 'done');
  assert.is(rowCount, 1);
});

test('rolls a transaction back when its function throws, and rethrows', async ({ db }) => {
  const error = await db
    .transaction(async (tx) => {
      await tx.query("INSERT INTO things (name) VALUES ('rolled-back')");
      throw new Error('boom');
    })
    .catch((e: Error) => e);
  const { rowCount } = await db.query("SELECT 1 FROM things WHERE name = 'rolled-back'");
  // the caller sees the error and the insert is gone
  assert.is((error as Error).message, 'boom');
  assert.is(rowCount, 0);
});

test('surfaces the SQLSTATE of a constraint violation', async ({ db }) => {
  const error = await db.query("INSERT INTO things (name) VALUES ('a')").catch((e: unknown) => e);
  // unique_violation, so services can map it to a 409
  assert.is((error as { code?: string }).code, '23505');
});

test('runs a multi-statement script with exec', async ({ db }) => {
  await db.exec("INSERT INTO things (name) VALUES ('s1'); INSERT INTO things (name) VALUES ('s2');");
  const { rowCount } = await db.query("SELECT 1 FROM things WHERE name IN ('s1', 's2')");
  // both statements ran
  assert.is(rowCount, 2);
});

test('takes transaction-scoped advisory locks (used by migrations)', async ({ db }) => {
  const got = await db.transaction(async (tx) => {
    const { rows } = await tx.query<{ ok: boolean }>('SELECT pg_try_advisory_xact_lock(42) AS ok');
    return rows[0]?.ok;
  });
  // the lock is available and released at commit
  assert.is(got, true);
});

test.run();

// Durability: the 200 goes out only after the write is committed, so another connection sees it.
const durable = suite('an acknowledged heartbeat is durable');

durable('a separate connection sees the row right after the 200', async () => {
  const url = await createPostgresDatabase();
  const db = openPgDatabase({ connectionString: url, poolSize: 2 });
  await migrate(db);
  const { app } = await buildTestApp({ db });
  const { user } = await createOwner(db);
  const { bot, token } = await createBotFor(db, user.id);
  const other = new pg.Client({ connectionString: url });
  await other.connect();
  try {
    const response = await postHeartbeat(app, token, heartbeatBody({ site_url: 'https://durable.example' }));
    const { rows } = await other.query('SELECT wordpress_site_url, connection_status FROM bots WHERE id = $1', [bot.id]);
    // acknowledged, and already visible elsewhere
    assert.is(response.statusCode, 200);
    assert.equal(rows[0], { wordpress_site_url: 'https://durable.example', connection_status: 'connected' });
  } finally {
    await other.end();
    await app.close();
    await db.close();
  }
});

durable.run();
