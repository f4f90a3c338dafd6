// Chooses the driver from the configuration: PostgreSQL when DATABASE_URL is set, PGlite otherwise.
import path from 'node:path';
import type { Config } from '../config.ts';
import type { Database } from './database.ts';
import { openPgDatabase } from './pg-driver.ts';
import { openPgliteDatabase } from './pglite-driver.ts';

export function embeddedDatabaseDir(config: Pick<Config, 'dataDir'>): string {
  return path.join(config.dataDir, 'pglite');
}

export async function openDatabase(
  config: Pick<Config, 'databaseUrl' | 'databasePoolSize' | 'dataDir'>,
  onError?: (error: Error) => void,
): Promise<Database> {
  if (config.databaseUrl) {
    return openPgDatabase({ connectionString: config.databaseUrl, poolSize: config.databasePoolSize, onError });
  }
  return openPgliteDatabase({ dir: embeddedDatabaseDir(config) });
}
