// A throw-away database for a benchmark on the PostgreSQL server of DATABASE_URL: created empty,
// migrated by the caller, closed and dropped by drop().
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { Database } from '../src/db/database.ts';
import { openPgDatabase } from '../src/db/pg-driver.ts';

export interface ScratchDatabase {
  db: Database;
  name: string;
  /** The connection URL of the scratch database (for a service process started on it). */
  url: string;
  /** Closes the pool and drops the database. */
  drop(): Promise<void>;
}

export async function openScratchDatabase(serverUrl: string, options: { poolSize?: number } = {}): Promise<ScratchDatabase> {
  const name = `agentdesk_bench_${process.pid}_${randomBytes(3).toString('hex')}`;
  await withAdmin(serverUrl, (admin) => admin.query(`CREATE DATABASE ${name}`));
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const db = openPgDatabase({ connectionString: url.toString(), poolSize: options.poolSize ?? 4 });
  return {
    db,
    name,
    url: url.toString(),
    async drop() {
      await db.close();
      await withAdmin(serverUrl, (admin) => admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}

/** Runs fn on a short-lived connection to the server's maintenance database. */
export async function withAdmin<T>(serverUrl: string, fn: (admin: pg.Client) => Promise<T>): Promise<T> {
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.end();
  }
}
