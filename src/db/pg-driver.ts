// PostgreSQL through a pg pool: the server of DATABASE_URL, or the embedded one (src/db/embedded-postgres.ts).
import pg from 'pg';
import { redact } from '../domain/redact.ts';
import { mapDriverError, type Database, type Queryable, type QueryOptions, type QueryResult, type Session } from './database.ts';

// count(*) and bigint columns arrive as JavaScript numbers (every count we keep fits in 2^53).
pg.types.setTypeParser(pg.types.builtins.INT8, (value: string) => Number(value));

export interface PgDriverOptions {
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

  const wrap = (client: pg.Pool | pg.PoolClient): Queryable => ({
    async query<Row>(text: string, params?: readonly unknown[], options?: QueryOptions): Promise<QueryResult<Row>> {
      try {
        const values = params as unknown[] | undefined;
        const result = options?.name ? await client.query({ name: options.name, text, values }) : await client.query(text, values);
        return { rows: result.rows as Row[], rowCount: result.rowCount ?? 0 };
      } catch (error) {
        return mapDriverError(error);
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
    async session<T>(fn: (session: Session) => Promise<T>): Promise<T> {
      const client = await connect();
      const state: { broken?: Error } = {};
      try {
        return await fn({ ...wrap(client), transaction: (inner) => inTransaction(client, inner, state) });
      } catch (error) {
        // Session state (an advisory lock, a setting) must not reach the pool's next user.
        state.broken ??= error instanceof Error ? error : new Error(String(error));
        throw error;
      } finally {
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
