import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { MigrationChangedError, migrate, pendingMigrations, readMigrationFiles } from '../../src/db/migrate.ts';
import { openPgDatabase } from '../../src/db/pg-driver.ts';
import { createPostgresDatabase, freshDatabase } from '../helpers/database.ts';

const test = suite('migrations');

function migrationsDir(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-migrations-'));
  for (const [name, sql] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), sql);
  return dir;
}

test('applies every file of sql/ once, in order, and a second run applies nothing', async () => {
  const db = await freshDatabase();
  try {
    const first = await migrate(db);
    const second = await migrate(db);
    const { rows } = await db.query<{ name: string }>('SELECT name FROM schema_migrations ORDER BY name');
    // all files applied, in name order
    assert.equal(first, readMigrationFiles().map((f) => f.name));
    // idempotent
    assert.equal(second, []);
    assert.equal(rows.map((r) => r.name), first);
    // nothing pending afterwards
    assert.equal(await pendingMigrations(db), []);
  } finally {
    await db.close();
  }
});

test('refuses to start when an applied file was changed', async () => {
  const db = await freshDatabase();
  const dir = migrationsDir({ '001_a.sql': 'CREATE TABLE a (id int);' });
  try {
    await migrate(db, readMigrationFiles(dir));
    fs.writeFileSync(path.join(dir, '001_a.sql'), 'CREATE TABLE a (id bigint);');
    const error = await migrate(db, readMigrationFiles(dir)).catch((e: unknown) => e);
    // a clear error naming the file
    assert.instance(error, MigrationChangedError);
    assert.match((error as Error).message, /001_a\.sql was changed after it was applied/);
  } finally {
    await db.close();
    fs.rmSync(dir, { recursive: true });
  }
});

test('rolls back a failing file entirely and records nothing for it', async () => {
  const db = await freshDatabase();
  const dir = migrationsDir({ '001_ok.sql': 'CREATE TABLE ok (id int);', '002_bad.sql': 'CREATE TABLE half (id int); SELECT nope FROM nowhere;' });
  try {
    const error = await migrate(db, readMigrationFiles(dir)).catch((e: unknown) => e);
    const half = await db.query<{ present: boolean }>("SELECT to_regclass('half') IS NOT NULL AS present");
    const { rows } = await db.query<{ name: string }>('SELECT name FROM schema_migrations');
    // the failure surfaces
    assert.instance(error, Error);
    // the first file stays applied, the second left no trace
    assert.equal(rows.map((r) => r.name), ['001_ok.sql']);
    assert.is(half.rows[0]?.present, false);
  } finally {
    await db.close();
    fs.rmSync(dir, { recursive: true });
  }
});

test('rejects a file whose name is not numbered', async () => {
  const dir = migrationsDir({ 'create-things.sql': 'SELECT 1;' });
  try {
    // numbered names keep the order explicit
    assert.throws(() => readMigrationFiles(dir), /must be named like 001_description\.sql/);
  } finally {
    fs.rmSync(dir, { recursive: true });
  }
});

test('two instances migrating one PostgreSQL database at once apply each file exactly once', async () => {
  const url = await createPostgresDatabase();
  const a = openPgDatabase({ connectionString: url, poolSize: 2 });
  const b = openPgDatabase({ connectionString: url, poolSize: 2 });
  try {
    const [fromA, fromB] = await Promise.all([migrate(a), migrate(b)]);
    const { rows } = await a.query<{ n: number }>('SELECT count(*) AS n FROM schema_migrations');
    // between them every file was applied once, never twice
    assert.equal([...fromA, ...fromB].sort(), readMigrationFiles().map((f) => f.name));
    assert.is(rows[0]?.n, readMigrationFiles().length);
  } finally {
    await a.close();
    await b.close();
  }
});

test.run();
