// PostgreSQL through a pg pool: the server of DATABASE_URL, or the embedded one (src/db/embedded-postgres.ts).
import pg from 'pg';
import { redact } from '../domain/redact.ts';
import { mapDriverError, type Database, type Queryable, type QueryOptions, type QueryResult } from './database.ts';

// count(*) and bigint columns arrive as JavaScript numbers (every count we keep fits in 2^53).
pg.types.setTypeParser(pg.types.builtins.INT8, (value: string) => Number(value));

/** DATABASE_PREPARED: named statements always, never, or unless a transaction pooler is in between. */
export type PreparedMode = 'auto' | 'on' | 'off';

/**
 * What a transaction pooler without prepared-statement support answers to a named statement: it
 * was prepared on another server connection (26000 invalid_sql_statement_name, "does not exist"),
 * or another client prepared the same name on this one (42P05 duplicate_prepared_statement).
 * Either way the statement did not run.
 */
const POOLED_PREPARED_CODES = new Set(['26000', '42P05']);

/**
 * True when the connection goes through a pooler: PostgreSQL announces the pid of the backend
 * serving the connection at start-up (BackendKeyData); PgBouncer (and other poolers) announce a key
 * of their own, since the client may be served by any of their server connections.
 */
async function throughPooler(pool: pg.Pool): Promise<boolean> {
  const client = await pool.connect();
  try {
    const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    return (client as unknown as { processID: number | null }).processID !== rows[0]!.pid;
  } finally {
    client.release();
  }
}

export interface PgDriverOptions {
  /** DATABASE_PREPARED (default auto). */
  prepared?: PreparedMode;
  /** Notable facts about the connection (prepared statements turned off, and why). */
  log?: (message: string) => void;
  connectionString: string;
  poolSize?: number;
  /** How long a query waits for a free connection before the request answers 503. */
  connectTimeoutMs?: number;
  onError?: (error: Error) => void;
  /** Let the process exit while only idle connections remain (the shared test database). */
  allowExitOnIdle?: boolean;
  /** For logs and the start banner; defaults to the redacted connection string. */
  description?: string;
  /** Runs after the pool has ended (stops the embedded server this database runs on). */
  afterClose?: () => Promise<void>;
}

export function openPgDatabase(options: PgDriverOptions): Database {
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
    idleTimeoutMillis: 30_000,
    allowExitOnIdle: options.allowExitOnIdle ?? false,
  });
  // An idle client losing its connection must not crash the process; the next query reconnects.
  pool.on('error', (error) => options.onError?.(error));

  const mode = options.prepared ?? 'auto';
  let prepared: { enabled: boolean; reason: string } | undefined =
    mode === 'on' ? { enabled: true, reason: 'DATABASE_PREPARED=on' } : mode === 'off' ? { enabled: false, reason: 'DATABASE_PREPARED=off' } : undefined;
  let detecting: Promise<{ enabled: boolean; reason: string }> | undefined;
  const turnOff = (reason: string) => {
    if (prepared?.enabled === false) return;
    prepared = { enabled: false, reason };
    options.log?.(`prepared statements off: ${reason}`);
  };
  /** Under auto, asked once (again after a failed attempt: the database may have been down). */
  async function preparedStatements() {
    if (prepared) return prepared;
    detecting ??= throughPooler(pool)
      .then((pooled) => {
        if (pooled) turnOff('DATABASE_PREPARED=auto and a connection pooler answers (PgBouncer before 1.21 cannot keep them in transaction mode)');
        prepared ??= { enabled: true, reason: 'DATABASE_PREPARED=auto and PostgreSQL answers directly' };
        return prepared;
      }, mapDriverError)
      .finally(() => {
        detecting = undefined;
      });
    return detecting;
  }

  const wrap = (client: pg.Pool | pg.PoolClient): Queryable => ({
    async query<Row>(text: string, params?: readonly unknown[], options?: QueryOptions): Promise<QueryResult<Row>> {
      const values = params as unknown[] | undefined;
      const named = options?.name !== undefined && (await preparedStatements()).enabled;
      try {
        const result = named ? await client.query({ name: options!.name, text, values }) : await client.query(text, values);
        return { rows: result.rows as Row[], rowCount: result.rowCount ?? 0 };
      } catch (error) {
        // A pooler the detection missed: stop naming statements. Outside a transaction the
        // statement did not run, so it runs again unnamed; inside one, the transaction fails.
        const code = (error as { code?: unknown }).code;
        if (!named || mode !== 'auto' || typeof code !== 'string' || !POOLED_PREPARED_CODES.has(code)) return mapDriverError(error);
        turnOff(`the server refused a prepared statement (${code}): a pooler in transaction mode`);
        if (client !== pool) return mapDriverError(error);
        try {
          const result = await client.query(text, values);
          return { rows: result.rows as Row[], rowCount: result.rowCount ?? 0 };
        } catch (retryError) {
          return mapDriverError(retryError);
        }
      }
    },
    async exec(script: string): Promise<void> {
      try {
        await client.query(script);
      } catch (error) {
        mapDriverError(error);
      }
    },
  });

  /** BEGIN … COMMIT on this client; a client whose ROLLBACK failed is marked broken (not reusable). */
  async function inTransaction<T>(client: pg.PoolClient, fn: (tx: Queryable) => Promise<T>, state: { broken?: Error }): Promise<T> {
    const tx = wrap(client);
    await tx.exec('BEGIN');
    try {
      const result = await fn(tx);
      await tx.exec('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch((rollbackError: unknown) => {
        state.broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
      });
      throw error;
    }
  }

  async function connect(): Promise<pg.PoolClient> {
    try {
      return await pool.connect();
    } catch (error) {
      return mapDriverError(error);
    }
  }

  const root = wrap(pool);
  return {
    description: options.description ?? `PostgreSQL at ${redact(options.connectionString)}`,
    query: root.query,
    exec: root.exec,
    preparedStatements,
    async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      const client = await connect();
      const state: { broken?: Error } = {};
      try {
        return await inTransaction(client, fn, state);
      } finally {
        // A client whose rollback failed is in an unknown state: destroy it instead of reusing it.
        client.release(state.broken);
      }
    },
    async close() {
      try {
        await pool.end();
      } finally {
        await options.afterClose?.();
      }
    },
  };
}
