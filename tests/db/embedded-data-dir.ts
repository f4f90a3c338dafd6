// Shared by the embedded PostgreSQL suites (tests/db/embedded-*.test.ts, pglite-upgrade.test.ts):
// a temporary DATA_DIR per test, the service started on it, and what its PostgreSQL left behind.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Test } from 'uvu';
import { embeddedDatabaseUrl, embeddedPaths } from '../../src/db/embedded-postgres.ts';
import { openPgDatabase } from '../../src/db/pg-driver.ts';
import { startService } from '../helpers/service-process.ts';

/** Gives each test of the suite a fresh DATA_DIR (ctx.dataDir), removed after it. */
export function withDataDir(test: Test<{ dataDir: string }>, prefix: string) {
  test.before.each((ctx) => {
    ctx.dataDir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  });
  test.after.each((ctx) => {
    fs.rmSync(ctx.dataDir, { recursive: true, force: true });
  });
}

export const service = (dataDir: string) => startService({ LOG_LEVEL: 'info' }, { embedded: true, dataDir });

/** The pid in DATA_DIR/postgres/postmaster.pid, if the file is there. */
export function postmasterPid(dataDir: string): number | undefined {
  try {
    return Number(fs.readFileSync(path.join(embeddedPaths(dataDir).directory, 'postmaster.pid'), 'utf8').split('\n')[0]);
  } catch {
    return undefined;
  }
}

/** Alive and not a zombie waiting for a parent to reap it. */
export function isRunning(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

export async function withDatabase<T>(dataDir: string, fn: (db: ReturnType<typeof openPgDatabase>) => Promise<T>): Promise<T> {
  const db = openPgDatabase({ connectionString: embeddedDatabaseUrl(dataDir), poolSize: 1 });
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

export const userExists = (dataDir: string, email: string) =>
  withDatabase(dataDir, async (db) => (await db.query('SELECT 1 FROM users WHERE email = $1', [email])).rowCount === 1);
