// A bot as the API and every page show it: with `maintenance_until`, the end of the maintenance it
// is in now (its one-off window and its weekly windows, one rule: selectMaintenanceEnds), or null.
// The row's own one_off_maintenance_until is only the stored one-off end; never show that one.
import type { BotRow } from '../db/bots.ts';
import type { Queryable } from '../db/database.ts';
import { selectMaintenanceEnds } from '../db/maintenance.ts';

export type MaintainedBot<T extends BotRow = BotRow> = T & { maintenance_until: Date | null };

/** These bots with the end of the maintenance each is in at `now` (the reason only while in one). */
export async function withMaintenanceEnds<T extends BotRow>(db: Queryable, rows: readonly T[], now: Date): Promise<Array<MaintainedBot<T>>> {
  const ends = await selectMaintenanceEnds(db, rows.map((row) => row.id), now);
  return rows.map((row) => {
    const until = ends.get(row.id) ?? null;
    return { ...row, maintenance_until: until, maintenance_reason: until ? row.maintenance_reason : null };
  });
}
