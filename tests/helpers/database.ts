// Real PostgreSQL for tests: the server of DATABASE_URL when it is set, otherwise one embedded
// PostgreSQL per test process, i.e. per worker of tests/run.ts (the service's own default, in a
// temporary DATA_DIR, stopped at exit). On either, the process's databases are created fresh
// (named after its pid, so workers never share one) and dropped at exit.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { Database } from '../../src/db/database.ts';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../src/db/embedded-postgres.ts';
import { migrate } from '../../src/db/migrate.ts';
import { openPgDatabase } from '../../src/db/pg-driver.ts';

/** The PostgreSQL server named by DATABASE_URL, if any (else the run uses the embedded one). */
export const externalServerUrl = process.env.DATABASE_URL || undefined;
/** Which server this run's databases live on, for suite names. */
export const serverKind = externalServerUrl ? 'PostgreSQL of DATABASE_URL' : 'embedded PostgreSQL';

let embedded: Promise<{ server: EmbeddedPostgres; dataDir: string }> | undefined;

/** A URL of the run's PostgreSQL server: DATABASE_URL, or the embedded server started on first use. */
export async function testServerUrl(): Promise<string> {
  if (externalServerUrl) return externalServerUrl;
  embedded ??= (async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-test-pg-'));
    return { server: await startEmbeddedPostgres({ dataDir }), dataDir };
  })();
  return (await embedded).server.url;
}

const created: string[] = [];

/** Creates an empty database on the run's PostgreSQL server; returns its URL. */
export async function createPostgresDatabase(): Promise<string> {
  const baseUrl = await testServerUrl();
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
  if (created.length === 0) return;
  // Pools of suites may still be closing; FORCE ends their sessions.
  const admin = new pg.Client({ connectionString: await testServerUrl() });
  await admin.connect();
  try {
    for (const name of created.splice(0)) await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

let shared: Promise<Database> | undefined;

/**
 * The run's shared, migrated database. Suites share it (one migration per run), so tests create
 * their own users and bots and never assume empty tables.
 */
export function testDatabase(): Promise<Database> {
  shared ??= (async () => {
    const db = openPgDatabase({ connectionString: await createPostgresDatabase(), allowExitOnIdle: true });
    await migrate(db);
    return db;
  })();
  return shared;
}

/** A new empty database that the caller closes (migration tests, suites that count every row). */
export async function freshDatabase(): Promise<Database> {
  return openPgDatabase({ connectionString: await createPostgresDatabase(), poolSize: 4 });
}

let cleaning: Promise<void> | undefined;

/** Closes the shared database, drops the run's databases and stops the embedded server (once). */
export function cleanUpTestDatabases(): Promise<void> {
  cleaning ??= (async () => {
    if (shared) await (await shared).close();
    await dropCreatedDatabases();
    if (embedded) {
      const { server, dataDir } = await embedded;
      await server.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  })();
  return cleaning;
}

process.on('beforeExit', () => void cleanUpTestDatabases());
