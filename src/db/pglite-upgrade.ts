// Once only: moves the data of an earlier version's embedded PGlite database (DATA_DIR/pglite) into
// the embedded PostgreSQL, so an upgrade keeps its users, bots, history and signing secret.
//
// 1. Nothing to do unless DATA_DIR/pglite holds a database. An earlier AgentDesk still running on
//    it (its pglite.lock names a live process) is DatabaseInUseError.
// 2. Refuse when the embedded PostgreSQL already holds users: never merge two databases.
// 3. Give the new database exactly the schema PGlite had (the migrations it applied, from scratch).
// 4. In one transaction: empty every table, copy every table's rows (as JSON, 5,000 at a time,
//    foreign-key triggers off since the source already satisfied them), and set each sequence to
//    PGlite's value. A crash before the commit leaves nothing half done: the next start redoes it.
// 5. Rename DATA_DIR/pglite to DATA_DIR/pglite.migrated (kept, never deleted) and drop its lock.
// The usual migrate() at start then applies what is newer than the PGlite schema.
import fs from 'node:fs';
import path from 'node:path';
import { DatabaseInUseError, type Database, type Queryable } from './database.ts';
import { isProcessAlive } from './embedded-postgres.ts';
import { migrate, readMigrationFiles } from './migrate.ts';

const BATCH = 5000;

interface PgliteSource {
  query<T>(text: string, params?: unknown[]): Promise<{ rows: T[] }>;
  transaction<T>(fn: (tx: PgliteSource) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export function pgliteDirectory(dataDir: string): string {
  return path.join(dataDir, 'pglite');
}

export async function upgradeFromPglite(options: { dataDir: string; db: Database; log?: (message: string) => void }) {
  const dir = pgliteDirectory(options.dataDir);
  if (!fs.existsSync(path.join(dir, 'PG_VERSION'))) return;
  const holder = Number(readOrEmpty(`${dir}.lock`));
  if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && isProcessAlive(holder)) throw new DatabaseInUseError(options.dataDir, holder);

  const { db } = options;
  const hasUsers = await db.query<{ present: boolean }>("SELECT to_regclass('public.users') IS NOT NULL AS present");
  if (hasUsers.rows[0]?.present && (await db.query('SELECT 1 FROM users LIMIT 1')).rowCount > 0) {
    throw new Error(
      `${options.dataDir} holds both an earlier version's PGlite database (${dir}) and an embedded PostgreSQL with users in it. ` +
        `AgentDesk will not merge them: move ${dir} away to keep the PostgreSQL data, or move ${path.join(options.dataDir, 'postgres')} away to upgrade from PGlite.`,
    );
  }

  const started = Date.now();
  options.log?.(`upgrading the PGlite database in ${dir} to the embedded PostgreSQL (once; the PGlite directory is kept)`);
  const { PGlite } = await import('@electric-sql/pglite');
  const source = (await PGlite.create(dir)) as unknown as PgliteSource;
  let rows = 0;
  try {
    const applied = await appliedMigrations(source);
    await db.exec('DROP SCHEMA public CASCADE; CREATE SCHEMA public;');
    await migrate(db, readMigrationFiles().filter((file) => applied.has(file.name)));
    rows = await db.transaction((tx) => copyEverything(source, tx));
  } finally {
    await source.close();
  }
  fs.renameSync(dir, `${dir}.migrated`);
  fs.rmSync(`${dir}.lock`, { force: true });
  options.log?.(`upgraded from PGlite: ${rows} rows in ${((Date.now() - started) / 1000).toFixed(1)} s; the old database is kept in ${dir}.migrated`);
}

async function appliedMigrations(source: PgliteSource): Promise<Set<string>> {
  const exists = await source.query<{ present: boolean }>("SELECT to_regclass('public.schema_migrations') IS NOT NULL AS present");
  if (!exists.rows[0]?.present) return new Set();
  const { rows } = await source.query<{ name: string }>('SELECT name FROM schema_migrations');
  return new Set(rows.map((row) => row.name));
}

async function copyEverything(source: PgliteSource, tx: Queryable): Promise<number> {
  // Rows arrive table by table in any order: foreign keys are not checked while copying a
  // database that already satisfied them.
  await tx.exec('SET LOCAL session_replication_role = replica');
  // A partitioned table is copied through its parent (rows find their partitions), never partition by partition.
  const { rows: tables } = await tx.query<{ name: string }>(
    `SELECT quote_ident(c.relname) AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition ORDER BY c.relname`,
  );
  if (tables.length) await tx.exec(`TRUNCATE ${tables.map((t) => t.name).join(', ')}`);
  let copied = 0;
  for (const { name } of tables) {
    const { rows: columns } = await tx.query<{ name: string }>(
      `SELECT quote_ident(attname) AS name FROM pg_attribute
        WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped AND attgenerated = '' ORDER BY attnum`,
      [`public.${name}`],
    );
    const list = columns.map((c) => c.name).join(', ');
    copied += await source.transaction(async (read) => {
      let count = 0;
      await read.query(`DECLARE upgrade_rows NO SCROLL CURSOR FOR SELECT row_to_json(t)::text AS r FROM (SELECT ${list} FROM public.${name}) t`);
      for (;;) {
        const { rows } = await read.query<{ r: string }>(`FETCH ${BATCH} FROM upgrade_rows`);
        if (rows.length === 0) break;
        await tx.query(`INSERT INTO public.${name} (${list}) SELECT ${list} FROM json_populate_recordset(NULL::public.${name}, $1::json)`, [
          `[${rows.map((row) => row.r).join(',')}]`,
        ]);
        count += rows.length;
      }
      return count;
    });
  }
  const { rows: sequences } = await source.query<{ name: string; last_value: string | null }>(
    "SELECT quote_ident(sequencename) AS name, last_value::text FROM pg_sequences WHERE schemaname = 'public'",
  );
  for (const sequence of sequences) {
    if (sequence.last_value !== null) await tx.query(`SELECT setval('public.${sequence.name}', $1::bigint, true)`, [sequence.last_value]);
  }
  return copied;
}

function readOrEmpty(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    return '';
  }
}
