// Small facts about the service itself, shared by every instance through the database.
import { randomBytes } from 'node:crypto';
import type { Queryable } from './database.ts';

/** The value under `key`; `forUpdate` locks the row until the transaction ends (read, then write). */
export async function readServiceState(db: Queryable, key: string, forUpdate = false): Promise<string | undefined> {
  const { rows } = await db.query<{ value: string }>(`SELECT value FROM service_state WHERE key = $1${forUpdate ? ' FOR UPDATE' : ''}`, [key]);
  return rows[0]?.value;
}

/** A time stored under `key`; undefined when absent or not a time. */
export async function readServiceTime(db: Queryable, key: string, forUpdate = false): Promise<Date | undefined> {
  const value = await readServiceState(db, key, forUpdate);
  if (value === undefined) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

export async function writeServiceState(db: Queryable, key: string, value: string): Promise<void> {
  await db.query(
    `INSERT INTO service_state (key, value, updated_at) VALUES ($1, $2, now())
     ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = now()`,
    [key, value],
  );
}

/**
 * The value under `key`, stored as `generated` on first need when absent: every instance, and every
 * restart, then reads the same one (the first writer wins a race).
 */
async function keptValue(db: Queryable, key: string, generated: string): Promise<string> {
  await db.query(`INSERT INTO service_state (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING`, [key, generated]);
  return (await readServiceState(db, key))!;
}

/**
 * The secret that signs links and sessions: SECRET_KEY when set, otherwise one generated on first
 * start and kept in the database so every instance (and every restart) signs alike.
 */
export async function loadServerSecret(db: Queryable, configured: string | undefined): Promise<string> {
  return configured || keptValue(db, 'server_secret', randomBytes(32).toString('base64url'));
}

/**
 * The seed of the key that signs the WordPress plugin's updates (base64, 32 bytes):
 * PLUGIN_SIGNING_KEY when set, otherwise one generated on first need and kept in the database, so
 * every instance and restart signs with the key the installed plugins carry.
 */
export async function loadPluginSigningSeed(db: Queryable, configured: string | undefined): Promise<string> {
  return configured || keptValue(db, 'plugin_signing_key', randomBytes(32).toString('base64'));
}
