// Creating people and their API keys (the CLI), and resolving an API key to its caller.
import type { Database } from '../db/database.ts';
import { findUserByEmail, insertUser, type UserRow } from '../db/users.ts';
import { findApiKeyCaller } from '../db/api-keys.ts';
import { lowerOf, type AccountContext } from '../domain/roles.ts';
import { ConflictError, NotFoundError, ValidationError } from '../errors.ts';
import { hashPassword, hashSecret, isApiKeyShape } from './credentials.ts';
import { issueKeyFor, type KeyRequest } from './api-key-service.ts';
import { textFault } from '../domain/text.ts';
import { parseEmail } from '../domain/email-address.ts';
import { queueConfirmationMail } from './signup-confirmation.ts';

export interface UserServiceDeps {
  db: Database;
  now: () => Date;
}

export interface CreateUserInput {
  email: string;
  password: string;
  name?: string | null;
  timezone?: string;
  admin?: boolean;
  /** SIGNUP=verify: the account may log in once its address confirms the link mailed now. */
  requireConfirmation?: boolean;
  /** The page the confirmation link leads back to after logging in (checked by the caller). */
  next?: string;
}

export const MIN_PASSWORD_LENGTH = 8;

/** The stored form of an address (src/domain/email-address.ts), or a 400 naming the field. */
export function validateEmail(email: unknown, field = 'email'): string {
  const parsed = parseEmail(email, field);
  if (!parsed.ok) throw new ValidationError(parsed.message);
  return parsed.value;
}

export function validatePassword(password: string): void {
  if (password.length < MIN_PASSWORD_LENGTH) throw new ValidationError(`password must be at least ${MIN_PASSWORD_LENGTH} characters`);
  if (password.length > 1024) throw new ValidationError('password must be at most 1024 characters');
  if (password.trim() === '') throw new ValidationError('password must not be only spaces');
}

/** An optional display name: trimmed, at most 100 characters, one line. */
export function validateName(name: string | null | undefined): string | null {
  const value = name?.trim() || null;
  if (value && value.length > 100) throw new ValidationError('name must be at most 100 characters');
  const fault = value ? textFault(value) : undefined;
  if (fault) throw new ValidationError(`name ${fault}`);
  return value;
}

export function validateTimezone(timezone: string): string {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
  } catch {
    throw new ValidationError('timezone must be an IANA time zone such as UTC or Europe/Paris');
  }
  return timezone;
}

export function createUserService({ db, now }: UserServiceDeps) {
  return {
    async createUser(input: CreateUserInput): Promise<UserRow> {
      const email = validateEmail(input.email);
      validatePassword(input.password);
      const timezone = validateTimezone(input.timezone ?? 'UTC');
      const name = validateName(input.name);
      // Hashed before the uniqueness check (the insert's constraint), so a taken email answers as
      // slowly as a new one and its timing does not tell that it is registered.
      const passwordHash = await hashPassword(input.password);
      try {
        return await db.transaction(async (tx) => {
          const at = now();
          const user = await insertUser(tx, {
            email,
            passwordHash,
            name,
            timezone,
            role: input.admin ? 'admin' : 'owner',
            confirmationRequiredSince: input.requireConfirmation ? at : null,
          });
          if (input.requireConfirmation) await queueConfirmationMail(tx, user, at, input.next);
          return user;
        });
      } catch (error) {
        if ((error as { code?: string }).code === '23505') throw new ConflictError(`A user with email ${email} already exists`);
        throw error;
      }
    },

    /**
     * The CLI's key: made by the owner in the account given (default: their first, their own),
     * with a role no higher than theirs there; the key itself is returned once and only its hash is kept.
     */
    async createApiKey(ownerEmail: string, request: KeyRequest = {}, accountId?: string): Promise<string> {
      const email = validateEmail(ownerEmail, 'owner');
      const owner = await findUserByEmail(db, email);
      if (!owner) throw new NotFoundError(`No user with email ${email}`);
      return (await issueKeyFor(db, owner.id, accountId, request)).key;
    },

    /** Who calls with this key: its maker, and the key's account with the key's role (never above the maker's today). */
    async callerForApiKey(key: string): Promise<{ user: UserRow; account: AccountContext } | undefined> {
      if (!isApiKeyShape(key)) return undefined;
      const found = await findApiKeyCaller(db, hashSecret(key), now());
      if (!found) return undefined;
      return { user: found.user, account: { id: found.key.account_id, name: found.key.account_name, role: lowerOf(found.key.role, found.memberRole) } };
    },
  };
}

export type UserService = ReturnType<typeof createUserService>;
