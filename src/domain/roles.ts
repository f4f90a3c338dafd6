// Roles in an account and what each may do (docs/dashboard.md "Accounts, members and roles").
// One rule, role × action → allowed, used by every authenticated route through its declared
// action (src/http/authorize.ts) and by the services that must compare roles (keys, members).
//
//   owner    everything, including members of every role and deleting the account;
//   manager  everything except owners and managers: invites, re-roles and removes members and viewers;
//   member   works on sites (maintenance, mute, grace, tests, channels, edits) but does not create
//            or delete bots or rotate tokens;
//   viewer   reads pages and the API, changes nothing.

export const ROLES = ['owner', 'manager', 'member', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

const RANK: Record<Role, number> = { viewer: 0, member: 1, manager: 2, owner: 3 };

export const isRole = (value: unknown): value is Role => typeof value === 'string' && (ROLES as readonly string[]).includes(value);

/** True when `role` is at least `minimum`. */
export const atLeast = (role: Role, minimum: Role): boolean => RANK[role] >= RANK[minimum];

/** The lower of two roles (a key's role is capped by its maker's current one). */
export const lowerOf = (a: Role, b: Role): Role => (RANK[a] <= RANK[b] ? a : b);

/** Every action a route may declare, with the least role that may do it. */
export const ACTIONS = {
  /** Pages and API answers that change nothing; one's own person (name, password, switcher). */
  read: 'viewer',
  self: 'viewer',
  'bots:create': 'manager',
  'bots:delete': 'manager',
  'bots:rotate-token': 'manager',
  'bots:edit': 'member',
  'bots:mute': 'member',
  'bots:grace': 'member',
  'maintenance:write': 'member',
  'channels:write': 'member',
  'channels:test': 'member',
  /** Clients, their status page links and report settings (docs/clients.md). */
  'clients:write': 'manager',
  'keys:read': 'member',
  'keys:write': 'member',
  'members:read': 'manager',
  'members:write': 'manager',
  'audit:read': 'manager',
  'account:rename': 'manager',
  'account:delete': 'owner',
} as const satisfies Record<string, Role>;

export type Action = keyof typeof ACTIONS;

export const isAction = (value: unknown): value is Action => typeof value === 'string' && Object.hasOwn(ACTIONS, value);

/** The rule: may someone with `role` do `action`? */
export function mayDo(role: Role, action: Action): boolean {
  return atLeast(role, ACTIONS[action]);
}

/**
 * May `actor` give `target` the role `next` (or remove them, next = undefined)? Owners may do
 * anything; managers only to members and viewers, and only to make them members or viewers.
 */
export function mayManageMember(actor: Role, target: Role | undefined, next: Role | undefined): boolean {
  if (actor === 'owner') return true;
  if (actor !== 'manager') return false;
  const below = (role: Role | undefined) => role === undefined || RANK[role] < RANK.manager;
  return below(target) && below(next);
}

/** The last owner of an account may not leave or be demoted: what stays after the change. */
export function keepsAnOwner(owners: number, target: Role, next: Role | undefined): boolean {
  return target !== 'owner' || next === 'owner' || owners > 1;
}

/** The account a request works in, and the caller's role there (a key's role for an API key). */
export interface AccountContext {
  id: string;
  name: string;
  role: Role;
}

/** Who acts, for the audit log and the role rules: the person, the account they work in, and how they came. */
export interface Actor {
  user: { id: string; email: string };
  account: AccountContext;
  via: 'session' | 'api_key' | 'link' | 'cli';
}
