// An owner's own account: settings (name, timezone, alert emails) and password change.
import type { Database } from '../db/database.ts';
import { updateUserPassword, updateUserSettings, type UserRow } from '../db/users.ts';
import { NotFoundError, WrongPasswordError } from '../errors.ts';
import { hashPassword, verifyPassword } from './credentials.ts';
import { validateName, validatePassword, validateTimezone } from './user-service.ts';

export interface AccountServiceDeps {
  db: Database;
  now: () => Date;
}

export interface AccountSettings {
  name: string | null;
  timezone: string;
  alertEmails: boolean;
}

export function createAccountService({ db, now }: AccountServiceDeps) {
  return {
    async updateSettings(user: UserRow, input: { name?: string; timezone?: string; alertEmails: boolean }): Promise<UserRow> {
      const name = validateName(input.name);
      const timezone = validateTimezone((input.timezone ?? user.timezone).trim());
      const updated = await updateUserSettings(db, user.id, { name, timezone, alertEmails: input.alertEmails }, now());
      if (!updated) throw new NotFoundError('User not found');
      return updated;
    },

    async changePassword(user: UserRow, current: string, next: string): Promise<void> {
      if (!(await verifyPassword(current, user.password_hash))) throw new WrongPasswordError('current password is not correct');
      validatePassword(next);
      await updateUserPassword(db, user.id, await hashPassword(next), now());
    },
  };
}

export type AccountService = ReturnType<typeof createAccountService>;
