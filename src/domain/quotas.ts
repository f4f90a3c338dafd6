// Per-owner limits: no single account may grow the work that every request of every owner shares
// (listing, the sweep's maintenance question) without bound. Admins are exempt. The limits and
// their reasons are in docs/RELIABILITY.md ("One owner cannot slow the others").

export type QuotaKind = 'bots' | 'schedules' | 'channels' | 'clients';

export interface Quotas {
  readonly bots: number;
  readonly schedules: number;
  readonly channels: number;
  readonly clients: number;
}

/**
 * Defaults sized so the largest allowed account is listed, swept and rendered without a noticeable
 * pause for anyone else (bench:owner-lag measures it); an operator with bigger customers raises them.
 */
export const DEFAULT_QUOTAS: Quotas = Object.freeze({ bots: 1000, schedules: 100, channels: 50, clients: 1000 });

/** The setting that raises each limit, for messages and docs. */
export const QUOTA_SETTINGS: Readonly<Record<QuotaKind, string>> = Object.freeze({
  bots: 'MAX_BOTS_PER_OWNER',
  schedules: 'MAX_SCHEDULES_PER_OWNER',
  channels: 'MAX_CHANNELS_PER_OWNER',
  clients: 'MAX_CLIENTS_PER_OWNER',
});

const NOUNS: Readonly<Record<QuotaKind, string>> = Object.freeze({ bots: 'bots', schedules: 'weekly maintenance windows', channels: 'alert channels', clients: 'clients' });

/** Whether one more of `kind` fits: admins always; owners while they hold fewer than the limit. */
export function mayAddOne(role: string, held: number, limit: number): boolean {
  return role === 'admin' || held < limit;
}

/** What an owner at the limit is told: the limit, and the two ways on. */
export function quotaMessage(kind: QuotaKind, limit: number): string {
  return `This account has reached its limit of ${limit} ${NOUNS[kind]}. Delete one first, or ask the operator to raise ${QUOTA_SETTINGS[kind]}.`;
}
