// Look-alike accounts stored before the email rule (src/domain/email-address.ts): the migration
// that brought the rule normalized every other account and left these as they were, for the
// operator to resolve (docs/architecture.md "Email addresses"). Said at every start until then.
import type { Queryable } from '../db/database.ts';
import { findEmailCollisions } from '../db/users.ts';

export interface CollisionLog {
  warn(fields: object, message: string): void;
}

/** Logs one warning per address held by more than one account; returns how many there are. */
export async function warnAboutEmailCollisions(db: Queryable, log: CollisionLog): Promise<number> {
  const collisions = await findEmailCollisions(db);
  for (const collision of collisions) {
    log.warn(
      { normalizedEmail: collision.normalized_email, userIds: collision.user_ids, emails: collision.emails },
      'accounts whose addresses are one address under the email rule: log-in reaches only the one holding the normalized address; ' +
        'resolve them (see the user_email_collisions view and docs/architecture.md "Email addresses")',
    );
  }
  return collisions.length;
}
