// Owner-alert decisions (docs/contract.md "Owner alerts") as pure functions, `now` always passed in: who is stale, who
// gets which mail, when a reminder is due, whether a sweep is a storm, when a send is retried.
import { staleAfterMs } from './connection-status.ts';

/** Reminders stop once an episode is this old (docs/contract.md "Owner alerts": they stop after 7 days). */
export const REMINDERS_STOP_AFTER_MS = 7 * 86_400_000;

export interface StaleCandidate {
  lastActivity: Date;
  graceSeconds: number;
}

/**
 * When this bot becomes (or became) stale: its silence is counted from its last heartbeat or from
 * when our ingest last came back after being down, whichever is later (docs/alerts.md "Our own downtime").
 */
export function staleAt(bot: StaleCandidate, globalStaleAfterMs: number, ingestResumedAt: Date | undefined): Date {
  const from = Math.max(bot.lastActivity.getTime(), ingestResumedAt?.getTime() ?? 0);
  return new Date(from + staleAfterMs(globalStaleAfterMs, bot.graceSeconds));
}

/** A connected bot is stale once now − max(last_activity, ingest_resumed_at) exceeds its stale_after. */
export function isStale(bot: StaleCandidate, globalStaleAfterMs: number, ingestResumedAt: Date | undefined, now: Date): boolean {
  return now.getTime() > staleAt(bot, globalStaleAfterMs, ingestResumedAt).getTime();
}

/**
 * The indexed pre-filter for the sweep: no bot can be stale unless its last activity is older than
 * this (the per-bot grace only adds time). Undefined when our own uptime is too short for anyone.
 */
export function staleCandidateCutoff(globalStaleAfterMs: number, ingestResumedAt: Date | undefined, now: Date): Date | undefined {
  if (ingestResumedAt && now.getTime() - ingestResumedAt.getTime() <= globalStaleAfterMs) return undefined;
  return new Date(now.getTime() - globalStaleAfterMs);
}

/** SWEEP_BATCH's default: bots flipped per transaction (docs/SCALING.md, "Storms"). */
export const DEFAULT_FLIP_BATCH = 100;

/**
 * Cuts the bots to flip into batches of at most `size`, in last-activity order: each batch is one
 * short transaction (a heartbeat waits for one batch at most, never for a whole storm) and names a
 * contiguous slice of the connected-by-last-activity index.
 */
export function flipBatches<T extends { lastActivity: Date }>(flips: readonly T[], size: number): T[][] {
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`flip batch size must be a positive integer, got ${size}`);
  const ordered = [...flips].sort((a, b) => a.lastActivity.getTime() - b.lastActivity.getTime());
  const batches: T[][] = [];
  for (let start = 0; start < ordered.length; start += size) batches.push(ordered.slice(start, start + size));
  return batches;
}

export interface StormInput {
  newlyStale: number;
  connectedBefore: number;
  fraction: number;
  min: number;
}

/** More than `fraction` of the bots connected before this sweep, and at least `min`, went stale in it. */
export function isStorm({ newlyStale, connectedBefore, fraction, min }: StormInput): boolean {
  return newlyStale >= min && newlyStale > fraction * connectedBefore;
}

/**
 * An open incident ends at the first sweep without a storm that comes a full stale_after after the
 * last storm: by then every site that was only cut off by us has had time to report again.
 */
export function incidentEnds(lastStormAt: Date, globalStaleAfterMs: number, now: Date): boolean {
  return now.getTime() - lastStormAt.getTime() >= globalStaleAfterMs;
}

export interface Recipient {
  botActive: boolean;
  mutedUntil: Date | null;
  ownerAlertEmails: boolean;
}

/** Muted bots, disabled bots and owners who unsubscribed get nothing. SQL: mayNotifySql in src/db/bots.ts. */
export function mayNotify(recipient: Recipient, now: Date): boolean {
  if (!recipient.botActive || !recipient.ownerAlertEmails) return false;
  return !recipient.mutedUntil || recipient.mutedUntil.getTime() <= now.getTime();
}

/**
 * How far a site's stale alert must have got for the site to count as announced (docs/alerts.md
 * "Kinds, dedupe keys, announced and may we notify"). Three levels, on purpose, each a superset of the one before it:
 * - 'delivered': sent. A reminder follows only a stale alert the owner actually received.
 * - 'due': sent, or waiting to be sent and already attempted or due. A channel's own test before
 *   it carries a recovery: an escalation still waiting for its time does not count, so a site
 *   that recovers first is never mentioned on that channel.
 * - 'queued': sent or waiting to be sent (pending, sending), due or not. The sweep's first test
 *   for a recovery (on any channel: each channel then applies 'due'), and whether an owner still
 *   has a site that a recovery group could wait for.
 * A held row (a storm incident, an open group) counts at no level: it has not been released.
 * SQL: staleAlertAnnouncedSql in src/db/outbox.ts (tests/db/announced.test.ts checks they agree).
 */
export type AnnouncedLevel = 'delivered' | 'due' | 'queued';
export const ANNOUNCED_LEVELS: readonly AnnouncedLevel[] = ['delivered', 'due', 'queued'];

/** The outbox row that carries a stale notification, as far as "announced" looks at it. */
export interface StaleAlertDelivery {
  status: string;
  attempts: number;
  nextAttemptAt: Date;
}

export function staleAlertAnnounced(row: StaleAlertDelivery, level: AnnouncedLevel, now: Date): boolean {
  if (row.status === 'sent') return true;
  if (level === 'delivered' || (row.status !== 'pending' && row.status !== 'sending')) return false;
  return level === 'queued' || row.attempts > 0 || row.nextAttemptAt.getTime() <= now.getTime();
}

/** Groups items by owner, keeping each owner's first-seen order: one mail per owner per sweep. */
export function groupByOwner<T extends { userId: string }>(items: readonly T[]): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const list = groups.get(item.userId);
    if (list) list.push(item);
    else groups.set(item.userId, [item]);
  }
  return groups;
}

export interface ReminderDecision {
  /** The reminder number to send now (1 = first), or null when none is due. */
  send: number | null;
  /** When the next one is due; null when the episode has had its last reminder. */
  nextAt: Date | null;
}

/**
 * Reminder n is due at opened + n × repeat, for every n whose time falls within the first 7 days.
 * After an outage of ours only the latest due reminder is sent, never a backlog.
 */
export function reminderDue(openedAt: Date, remindersSent: number, now: Date, repeatMs: number, stopAfterMs = REMINDERS_STOP_AFTER_MS): ReminderDecision {
  const last = Math.floor(stopAfterMs / repeatMs);
  const elapsed = now.getTime() - openedAt.getTime();
  const dueNumber = Math.min(last, Math.floor(elapsed / repeatMs));
  const send = dueNumber > remindersSent ? dueNumber : null;
  const sentAfter = Math.max(remindersSent, dueNumber);
  const nextAt = sentAfter < last ? new Date(openedAt.getTime() + (sentAfter + 1) * repeatMs) : null;
  return { send, nextAt };
}

export const RETRY_BASE_MS = 30_000;
export const RETRY_MAX_MS = 3_600_000;
/** How long a sender holds an outbox row it claimed (the delivery worker, and "Send a test"). */
export const DEFAULT_LEASE_MS = 5 * 60_000;

/** After this many failed attempts (about a day of retries) a mail is marked failed. */
export const MAX_SEND_ATTEMPTS = 30;

/** Exponential backoff after the given number of failed attempts: 30 s, 1 min, 2 min, … capped at 1 h. */
export function retryDelayMs(attempts: number): number {
  return Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** Math.max(0, attempts - 1));
}

/**
 * A permanent rejection is an SMTP 5xx reply (unknown mailbox, policy refusal): retrying cannot help.
 * Everything else (refused connection, timeout, 4xx) is transient.
 */
export function isPermanentSendFailure(error: { responseCode?: number }): boolean {
  return typeof error.responseCode === 'number' && error.responseCode >= 500 && error.responseCode < 600;
}

/**
 * Whether ingest resumes after downtime now: when the previous "alive" stamp is missing or older than
 * maxGapMs (the service or its database was down in between), stale timers restart from now.
 */
export function resumesAfterDowntime(previousAliveAt: Date | undefined, now: Date, maxGapMs: number): boolean {
  return !previousAliveAt || now.getTime() - previousAliveAt.getTime() > maxGapMs;
}
