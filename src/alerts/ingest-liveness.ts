// "Our own downtime" (docs/alerts.md): every instance stamps `ingest_alive_at` in service_state every few
// seconds. When a stamp finds the previous one too old (the service or its database was down in
// between), it sets `ingest_resumed_at = now`, and the sweep counts each bot's silence from there.
import type { Database, Queryable } from '../db/database.ts';
import { readServiceTime, writeServiceState } from '../db/service-state.ts';
import { recordIngestOutage } from '../db/uptime-history.ts';
import { resumesAfterDowntime } from '../domain/alert-rules.ts';

export const INGEST_ALIVE_KEY = 'ingest_alive_at';
export const INGEST_RESUMED_KEY = 'ingest_resumed_at';
/** How often each instance stamps that ingest is alive. */
export const INGEST_ALIVE_INTERVAL_MS = 15_000;
/** A gap longer than this between two stamps counts as downtime (four missed stamps). */
export const INGEST_MAX_GAP_MS = 60_000;

/**
 * Stamps ingest as alive at `now`. Returns true when this stamp ends a downtime (and so moved
 * ingest_resumed_at to now). A stamp older than `now` (clock skew between instances) is kept.
 */
export async function markIngestAlive(db: Database, now: Date, maxGapMs = INGEST_MAX_GAP_MS): Promise<boolean> {
  return db.transaction(async (tx) => {
    const previous = await readServiceTime(tx, INGEST_ALIVE_KEY, true);
    const resumed = resumesAfterDowntime(previous, now, maxGapMs);
    if (!previous || previous.getTime() < now.getTime()) await writeServiceState(tx, INGEST_ALIVE_KEY, now.toISOString());
    if (resumed) {
      await writeServiceState(tx, INGEST_RESUMED_KEY, now.toISOString());
      // Kept for the uptime report: this span is "unknown", neither up nor down (docs/reports.md).
      // (No previous stamp: the service's very first start, nothing was down.)
      if (previous) await recordIngestOutage(tx, { start: previous, end: now });
    }
    return resumed;
  });
}

export function readIngestResumedAt(db: Queryable): Promise<Date | undefined> {
  return readServiceTime(db, INGEST_RESUMED_KEY);
}
