// Real databases for tests: PostgreSQL when DATABASE_URL is set (a fresh database is created for
// each test run on that server and dropped at exit), embedded PGlite otherwise.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { Database } from '../../src/db/database.ts';
import { migrate } from '../../src/db/migrate.ts';
import { openPgDatabase } from '../../src/db/pg-driver.ts';
import { openPgliteDatabase } from '../../src/db/pglite-driver.ts';

export const serverUrl = process.env.DATABASE_URL || undefined;
/** TEST_DRIVER=pglite runs the suite on PGlite while DATABASE_URL stays available to the conformance suite. */
export const driverName: 'pg' | 'pglite' =
  process.env.TEST_DRIVER === 'pglite' || process.env.TEST_DRIVER === 'pg' ? process.env.TEST_DRIVER : serverUrl ? 'pg' : 'pglite';

const created: string[] = [];

/** Creates an empty database on the PostgreSQL server of DATABASE_URL; returns its URL. */
export async function createPostgresDatabase(baseUrl = serverUrl!): Promise<string> {
  const name = `agentdesk_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  created.push(name);
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

async function dropCreatedDatabases() {
  if (!serverUrl || created.length === 0) return;
  // The conformance suite's pools may still be closing; FORCE ends their sessions.
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    for (const name of created.splice(0)) await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

let shared: Promise<Database> | undefined;

/**
 * The run's shared, migrated database. Suites share it (PGlite takes seconds to open), so tests
 * create their own users and bots and never assume empty tables.
 */
export function testDatabase(): Promise<Database> {
  shared ??= (async () => {
    const db =
      driverName === 'pg'
      ? openPgDatabase({ connectionString: await createPostgresDatabase(), allowExitOnIdle: true })
      : await openPgliteDatabase();
    await migrate(db);
    return db;
  })();
  return shared;
}

/** A new empty database that the caller closes (migration tests). PGlite: in memory. */
export async function freshDatabase(driver: 'pg' | 'pglite' = driverName): Promise<Database> {
  if (driver === 'pg') return openPgDatabase({ connectionString: await createPostgresDatabase(), poolSize: 4 });
  return openPgliteDatabase();
}

let cleaning = false;
process.on('beforeExit', () => {
  if (cleaning) return;
  cleaning = true;
  void (async () => {
    if (shared) await (await shared).close();
    await dropCreatedDatabases();
  })();
});
