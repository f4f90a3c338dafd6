// Chooses the database from the configuration: the PostgreSQL server of DATABASE_URL when it is
// set, otherwise the embedded PostgreSQL that this process runs under DATA_DIR.
import type { Database } from './database.ts';
import { startEmbeddedPostgres } from './embedded-postgres.ts';
import { openPgDatabase, type PreparedMode } from './pg-driver.ts';
import { upgradeFromPglite } from './pglite-upgrade.ts';

/** What opening the database needs from the configuration (src/config.ts validates it). */
export interface DatabaseSettings {
  databaseUrl: string | undefined;
  databasePoolSize: number;
  dataDir: string;
  /** Named prepared statements: auto (off behind a pooler), on or off (DATABASE_PREPARED). */
  databasePrepared?: PreparedMode;
}

export interface OpenDatabaseOptions {
  onError?: (error: Error) => void;
  /** Notable steps of the embedded server (initialised, system user, orphan stopped, upgrade). */
  log?: (message: string) => void;
}

export async function openDatabase(
  config: DatabaseSettings,
  options: OpenDatabaseOptions = {},
): Promise<Database> {
  if (config.databaseUrl) {
    return openPgDatabase({
      connectionString: config.databaseUrl,
      poolSize: config.databasePoolSize,
      prepared: config.databasePrepared,
      onError: options.onError,
      log: options.log,
    });
  }
  const server = await startEmbeddedPostgres({ dataDir: config.dataDir, log: options.log });
  const db = openPgDatabase({
    connectionString: server.url,
    poolSize: config.databasePoolSize,
    prepared: config.databasePrepared,
    onError: options.onError,
    log: options.log,
    description: `embedded PostgreSQL 18 in ${server.directory}`,
    afterClose: () => server.stop(),
  });
  try {
    await upgradeFromPglite({ dataDir: config.dataDir, db, log: options.log });
  } catch (error) {
    await db.close();
    throw error;
  }
  return db;
}
