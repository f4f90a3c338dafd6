// The sweep lease (sql/140_sweep_lease.sql, docs/SCALING.md): which instance may sweep, as a row
// taken, renewed and released in short statements, so it survives a transaction pooler where a
// session advisory lock would stick to a pooled server connection.
//
// - Taken only when free or expired; every new term gets the next fencing token.
// - Renewed by token at the start of each transaction of the sweep: the renewal locks the row until
//   that transaction ends, so nobody can take the lease while a fenced transaction runs, and a
//   holder whose token is no longer the current one renews nothing and must stop (LeaseLostError).
//   Renewal checks the token, not the expiry: an expired lease nobody took is still this holder's.
// - Times are the database's clock, one clock for every instance; a caller may pass its own time
//   instead (tests move time without waiting).
import type { Queryable } from './database.ts';

export interface LeaseTerm {
  holder: string;
  token: number;
}

/** The sweep's lease was taken by another holder since this one got it: stop without writing. */
export class LeaseLostError extends Error {
  constructor(readonly term: LeaseTerm) {
    super(`the sweep lease (token ${term.token}) was taken over by another instance`);
    this.name = 'LeaseLostError';
  }
}

/** How long a term's history row is kept. */
const TERM_HISTORY = "interval '7 days'";
const NOW = '(SELECT coalesce($2::timestamptz, clock_timestamp()) AS now)';

/** Takes the lease for `holder` for ttlMs when it is free or expired; undefined when another holder has it. */
export async function acquireSweepLease(db: Queryable, holder: string, ttlMs: number, at?: Date): Promise<LeaseTerm | undefined> {
  // One statement, so it needs no transaction. Blocked by a holder's fenced transaction, it then
  // sees the renewed expiry and takes nothing.
  const { rows } = await db.query<{ token: number }>(
    `WITH t AS ${NOW}, taken AS (
       UPDATE sweep_lease l SET holder = $1, token = l.token + 1, acquired_at = t.now, expires_at = t.now + $3 * interval '1 millisecond'
       FROM t WHERE l.expires_at <= t.now
       RETURNING l.token, l.acquired_at, l.expires_at
     ), term AS (
       INSERT INTO sweep_lease_terms (token, holder, acquired_at, ends_at) SELECT token, $1, acquired_at, expires_at FROM taken
     ), pruned AS (
       DELETE FROM sweep_lease_terms WHERE ends_at < (SELECT now FROM t) - ${TERM_HISTORY} AND EXISTS (SELECT 1 FROM taken)
     )
     SELECT token FROM taken`,
    [holder, at ?? null, ttlMs],
  );
  return rows[0] ? { holder, token: rows[0].token } : undefined;
}

/**
 * Extends the lease to ttlMs from now if `term` is still the current one, and holds its row until
 * the caller's transaction ends; throws LeaseLostError otherwise. Call it first in every
 * transaction the lease guards.
 */
export async function renewSweepLease(tx: Queryable, term: LeaseTerm, ttlMs: number, at?: Date): Promise<void> {
  const { rows } = await tx.query<{ token: number }>(
    `WITH t AS ${NOW}, renewed AS (
       UPDATE sweep_lease l SET expires_at = t.now + $3 * interval '1 millisecond' FROM t WHERE l.token = $1
       RETURNING l.token, l.expires_at
     ), term AS (
       UPDATE sweep_lease_terms s SET ends_at = r.expires_at FROM renewed r WHERE s.token = r.token
     )
     SELECT token FROM renewed`,
    [term.token, at ?? null, ttlMs],
  );
  if (rows.length === 0) throw new LeaseLostError(term);
}

/** Frees the lease if `term` still holds it (a lost lease is left to its new holder). */
export async function releaseSweepLease(db: Queryable, term: LeaseTerm, at?: Date): Promise<boolean> {
  const { rows } = await db.query<{ token: number }>(
    `WITH t AS ${NOW}, released AS (
       UPDATE sweep_lease l SET expires_at = '-infinity' WHERE l.token = $1 RETURNING l.token
     ), term AS (
       UPDATE sweep_lease_terms s SET ends_at = (SELECT now FROM t), released = true FROM released r WHERE s.token = r.token
     )
     SELECT token FROM released`,
    [term.token, at ?? null],
  );
  return rows.length > 0;
}

export interface LeaseTermRow {
  token: number;
  holder: string;
  acquired_at: Date;
  ends_at: Date;
  released: boolean;
}

/** The terms of the last week, oldest first (the operator's and the cluster test's view). */
export async function selectLeaseTerms(db: Queryable): Promise<LeaseTermRow[]> {
  const { rows } = await db.query<LeaseTermRow>('SELECT token, holder, acquired_at, ends_at, released FROM sweep_lease_terms ORDER BY token');
  return rows;
}
