// Embedded PGlite (Postgres in WASM): the zero-setup default when DATABASE_URL is unset.
// It serves one process; a lock file with our pid turns a second opener into a clear message.
import fs from 'node:fs';
import path from 'node:path';
import { PGlite, types } from '@electric-sql/pglite';
import { DatabaseInUseError, mapDriverError, type Database, type Queryable, type QueryResult } from './database.ts';

interface PgliteLike {
  query<T>(text: string, params?: unknown[]): Promise<{ rows: T[]; affectedRows?: number }>;
  exec(script: string): Promise<unknown>;
}

export interface PgliteDriverOptions {
  /** Directory for the data files; undefined keeps everything in memory (tests). */
  dir?: string;
}

export async function openPgliteDatabase(options: PgliteDriverOptions = {}): Promise<Database> {
  const lock = options.dir ? acquireDirectoryLock(options.dir) : undefined;
  let pglite: PGlite;
  try {
    if (options.dir) fs.mkdirSync(options.dir, { recursive: true });
    pglite = new PGlite(options.dir, { parsers: { [types.INT8]: (value: string) => Number(value) } });
    await pglite.waitReady;
  } catch (error) {
    lock?.release();
    throw error;
  }

  const wrap = (target: PgliteLike): Queryable => ({
    async query<Row>(text: string, params?: readonly unknown[]): Promise<QueryResult<Row>> {
      try {
        const result = await target.query<Row>(text, params as unknown[] | undefined);
        return { rows: result.rows, rowCount: result.affectedRows || result.rows.length };
      } catch (error) {
        return mapDriverError(error);
      }
    },
    async exec(script: string): Promise<void> {
      try {
        await target.exec(script);
      } catch (error) {
        mapDriverError(error);
      }
    },
  });

  const root = wrap(pglite);
  return {
    driver: 'pglite',
    description: options.dir ? `embedded PGlite in ${options.dir}` : 'embedded PGlite in memory',
    query: root.query,
    exec: root.exec,
    async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      try {
        return await pglite.transaction((tx) => fn(wrap(tx as unknown as PgliteLike)));
      } catch (error) {
        return mapDriverError(error);
      }
    },
    async close() {
      try {
        if (!pglite.closed) await pglite.close();
      } finally {
        lock?.release();
      }
    },
  };
}

/**
 * Claims `<dir>.lock` for this process. A lock left by a process that no longer runs is taken
 * over; one held by a live process raises DatabaseInUseError.
 */
function acquireDirectoryLock(dir: string): { release(): void } {
  const lockPath = `${dir.replace(/\/+$/, '')}.lock`;
  fs.mkdirSync(path.dirname(lockPath), { recursive: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(lockPath, String(process.pid), { flag: 'wx' });
      return {
        release() {
          try {
            if (fs.readFileSync(lockPath, 'utf8') === String(process.pid)) fs.unlinkSync(lockPath);
          } catch {
            // already gone
          }
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number(fs.readFileSync(lockPath, 'utf8').trim());
      if (Number.isInteger(holder) && holder > 0 && isProcessAlive(holder)) throw new DatabaseInUseError(dir, holder);
      fs.rmSync(lockPath, { force: true }); // stale lock from a process that died
    }
  }
  throw new Error(`Could not lock ${dir}`);
}

/** Reads the pid holding the embedded database directory, if a live process holds it. */
export function embeddedDatabaseHolder(dir: string): number | undefined {
  try {
    const pid = Number(fs.readFileSync(`${dir.replace(/\/+$/, '')}.lock`, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 && isProcessAlive(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
