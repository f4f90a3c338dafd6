// Applies the numbered plain-SQL files of sql/ in order, each once, each in its own transaction,
// under a transaction-scoped advisory lock so instances starting together apply each file once.
// A file that changed after it was applied is an error: migrations are append-only.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Database } from './database.ts';

export const DEFAULT_MIGRATIONS_DIR = fileURLToPath(new URL('../../sql/', import.meta.url));

/** Arbitrary constant naming "the migration lock" for pg_advisory_xact_lock. */
const MIGRATION_LOCK_KEY = 7_402_113_001;

const FILE_NAME = /^(\d+)_[a-z0-9_\-]+\.sql$/;

export interface MigrationFile {
  name: string;
  sql: string;
  checksum: string;
}

export class MigrationChangedError extends Error {
  constructor(readonly file: string) {
    super(
      `Migration ${file} was changed after it was applied. Applied migrations must never be edited: ` +
        'restore the original file and put the change in a new numbered file.',
    );
    this.name = 'MigrationChangedError';
  }
}

export function readMigrationFiles(dir = DEFAULT_MIGRATIONS_DIR): MigrationFile[] {
  const names = fs
    .readdirSync(dir)
    .filter((name) => name.endsWith('.sql'))
    .sort();
  return names.map((name) => {
    if (!FILE_NAME.test(name)) throw new Error(`Migration file ${name} must be named like 001_description.sql`);
    const sql = fs.readFileSync(path.join(dir, name), 'utf8');
    return { name, sql, checksum: createHash('sha256').update(sql).digest('hex') };
  });
}

const CREATE_TABLE = `
  CREATE TABLE IF NOT EXISTS schema_migrations (
    name text PRIMARY KEY,
    checksum text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
  )`;

/** Applies what is pending; returns the names applied by this call (empty when up to date). */
export async function migrate(db: Database, files = readMigrationFiles()): Promise<string[]> {
  const applied: string[] = [];
  for (const file of files) {
    const didApply = await db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
      await tx.exec(CREATE_TABLE);
      const existing = await tx.query<{ checksum: string }>('SELECT checksum FROM schema_migrations WHERE name = $1', [file.name]);
      if (existing.rows[0]) {
        if (existing.rows[0].checksum !== file.checksum) throw new MigrationChangedError(file.name);
        return false;
      }
      await tx.exec(file.sql);
      await tx.query('INSERT INTO schema_migrations (name, checksum) VALUES ($1, $2)', [file.name, file.checksum]);
      return true;
    });
    if (didApply) applied.push(file.name);
  }
  return applied;
}

/** Names of files not yet applied (readiness check); throws if the database cannot be asked. */
export async function pendingMigrations(db: Database, files = readMigrationFiles()): Promise<string[]> {
  const exists = await db.query<{ present: boolean }>("SELECT to_regclass('schema_migrations') IS NOT NULL AS present");
  if (!exists.rows[0]?.present) return files.map((file) => file.name);
  const { rows } = await db.query<{ name: string }>('SELECT name FROM schema_migrations');
  const done = new Set(rows.map((row) => row.name));
  return files.filter((file) => !done.has(file.name)).map((file) => file.name);
}
