// The counts behind the per-owner limits (src/domain/quotas.ts), read under a lock on the owner's
// row so two concurrent creations cannot both pass the last free place.
import type { QuotaKind } from '../domain/quotas.ts';
import type { Queryable } from './database.ts';

const TABLES: Readonly<Record<QuotaKind, string>> = { bots: 'bots', schedules: 'maintenance_schedules', channels: 'alert_channels', clients: 'clients' };

/**
 * Locks the owner's row for the rest of the transaction and returns their role and how many of
 * `kind` they hold; undefined when there is no such owner.
 */
export async function lockOwnerCount(tx: Queryable, ownerId: string, kind: QuotaKind): Promise<{ role: string; held: number } | undefined> {
  const { rows } = await tx.query<{ role: string }>('SELECT role FROM users WHERE id = $1 FOR UPDATE', [ownerId]);
  if (!rows[0]) return undefined;
  const { rows: counted } = await tx.query<{ held: number }>(`SELECT count(*)::int AS held FROM ${TABLES[kind]} WHERE user_id = $1`, [ownerId]);
  return { role: rows[0].role, held: counted[0]!.held };
}
