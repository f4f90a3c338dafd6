// One small query/transaction interface over PostgreSQL (src/db/pg-driver.ts), so every repository,
// service and test is written against it. Mapping "database not reachable" to
// DatabaseUnavailableError lives here; query spans come from the pg instrumentation (src/telemetry.ts).

export interface QueryResult<Row> {
  rows: Row[];
  rowCount: number;
}

export interface QueryOptions {
  name?: string;
}

export interface Queryable {
  /**
   * Runs one parameterised statement ($1, $2, …). A `name` makes it a prepared statement on each
   * connection (parsed and planned once there, then reused): for hot statements only, whose text
   * never changes under that name.
   */
  query<Row = Record<string, unknown>>(text: string, params?: readonly unknown[], options?: QueryOptions): Promise<QueryResult<Row>>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(script: string): Promise<void>;
}

export interface Database extends Queryable {
  /** Human description for logs and the start banner; never contains a password. */
  readonly description: string;
  /** Runs fn inside BEGIN … COMMIT on one connection, rolling back if it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /**
   * Whether named (prepared) statements are used on this database (DATABASE_PREPARED): the reason
   * is for the start banner. Under `auto` this asks the server once (src/db/pg-driver.ts).
   */
  preparedStatements(): Promise<{ enabled: boolean; reason: string }>;
  /** Closes the pool (and stops the embedded server when this database started it). */
  close(): Promise<void>;
}

/** The database could not be reached or is shutting down: a fault we expect, answered with 503. */
export class DatabaseUnavailableError extends Error {
  constructor(cause: unknown) {
    super(`Database unavailable: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'DatabaseUnavailableError';
  }
}

/** Another AgentDesk process already runs the embedded PostgreSQL of this DATA_DIR. */
export class DatabaseInUseError extends Error {
  constructor(readonly dir: string, readonly pid: number) {
    super(
      `The embedded database in ${dir} is in use by another AgentDesk process (pid ${pid}). ` +
        'Stop that process first, set DATA_DIR to another directory, or set DATABASE_URL to use a PostgreSQL server.',
    );
    this.name = 'DatabaseInUseError';
  }
}

const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ENOENT', // the embedded server's unix socket is not there (stopped)
  'ECONNRESET',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'EHOSTUNREACH',
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '53300', // too_many_connections
  '3D000', // invalid_catalog_name: database dropped or not created yet
]);

/** True for errors that mean "the database is not there right now", as opposed to a bad query. */
export function isUnavailableError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && (UNAVAILABLE_CODES.has(code) || code.startsWith('08'))) return true;
  return /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|Cannot use a pool after calling end/i.test(
    error.message,
  );
}

/**
 * True when PostgreSQL refused a value itself (SQLSTATE class 22, "data exception": a NUL byte, a
 * number out of range): the fault of the input, not of the database or the query.
 */
export function isDataException(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('22');
}

/** Rethrows driver errors, turning "database not reachable" ones into DatabaseUnavailableError. */
export function mapDriverError(error: unknown): never {
  if (error instanceof DatabaseUnavailableError) throw error;
  if (isUnavailableError(error)) throw new DatabaseUnavailableError(error);
  throw error;
}
