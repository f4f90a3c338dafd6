// Creating something an owner's limit counts (bots, weekly windows, channels): the check and the
// insert share one transaction under a lock on the owner, so the limit holds under concurrency.
import type { Database, Queryable } from '../db/database.ts';
import { lockOwnerCount } from '../db/quotas.ts';
import { mayAddOne, quotaMessage, type QuotaKind, type Quotas } from '../domain/quotas.ts';
import { QuotaExceededError } from '../errors.ts';

export async function createWithinQuota<T>(
  db: Database,
  quotas: Quotas,
  kind: QuotaKind,
  ownerId: string,
  create: (tx: Queryable) => Promise<T>,
): Promise<T> {
  return db.transaction(async (tx) => {
    const owner = await lockOwnerCount(tx, ownerId, kind);
    if (owner && !mayAddOne(owner.role, owner.held, quotas[kind])) throw new QuotaExceededError(quotaMessage(kind, quotas[kind]));
    return create(tx);
  });
}
