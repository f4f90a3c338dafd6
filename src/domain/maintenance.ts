// Maintenance windows (docs/alerts.md "Maintenance windows") as pure rules, `now` always passed in: how long a window may be,
// when a weekly window falls in the owner's time zone (across DST changes), whether a bot is in a
// window and until when (an occurrence the owner ended early no longer counts), and when the "your
// window ends in a day" mail is due.
// Local wall times are converted with luxon (IANA zone data from Intl), never by adding offsets.
import { DateTime } from 'luxon';
import { textFault } from './text.ts';

/** A window lasts at most 7 days (docs/contract.md "Channels and maintenance"). */
export const MAX_MAINTENANCE_MINUTES = 7 * 24 * 60;
/** A window longer than this earns a mail this long before it ends. */
export const ENDING_NOTICE_MS = 86_400_000;
export const MAX_REASON_LENGTH = 200;

export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

/** "minutes" from the API, a form or WP-CLI: a whole number from 1 to 10080 (7 days). */
export function parseMinutes(value: unknown): Parsed<number> {
  const number = typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isInteger(number) || number < 1) {
    return { ok: false, message: 'minutes must be a whole number of minutes, at least 1' };
  }
  if (number > MAX_MAINTENANCE_MINUTES) {
    return { ok: false, message: `minutes must be at most ${MAX_MAINTENANCE_MINUTES} (a maintenance window lasts at most 7 days)` };
  }
  return { ok: true, value: number };
}

/** An optional reason: trimmed, one line, at most 200 characters; empty = none. */
export function parseReason(value: unknown): Parsed<string | null> {
  if (value === undefined || value === null) return { ok: true, value: null };
  if (typeof value !== 'string') return { ok: false, message: 'reason must be a string' };
  const reason = value.trim();
  const fault = textFault(reason);
  if (fault) return { ok: false, message: `reason ${fault}` };
  if (reason.length > MAX_REASON_LENGTH) return { ok: false, message: `reason must be at most ${MAX_REASON_LENGTH} characters` };
  return { ok: true, value: reason || null };
}

/** A one-off window opened at `now` for `minutes`. */
export function oneOffWindow(minutes: number, now: Date): { startsAt: Date; until: Date } {
  return { startsAt: now, until: new Date(now.getTime() + minutes * 60_000) };
}

/** A weekly window: ISO weekday (1 = Monday), minutes past local midnight, length in real minutes. */
export interface WeeklyWindow {
  weekday: number;
  startMinute: number;
  durationMinutes: number;
}

export function parseWeeklyWindow(input: { weekday?: unknown; start?: unknown; minutes?: unknown }): Parsed<WeeklyWindow> {
  const weekday = typeof input.weekday === 'string' && /^\d$/.test(input.weekday) ? Number(input.weekday) : input.weekday;
  if (typeof weekday !== 'number' || !Number.isInteger(weekday) || weekday < 1 || weekday > 7) {
    return { ok: false, message: 'weekday must be 1 (Monday) to 7 (Sunday)' };
  }
  const start = typeof input.start === 'string' ? /^([01]\d|2[0-3]):([0-5]\d)$/.exec(input.start.trim()) : null;
  if (!start) return { ok: false, message: 'start must be a local time HH:MM, such as 02:30' };
  const minutes = parseMinutes(input.minutes);
  if (!minutes.ok) return minutes;
  return { ok: true, value: { weekday, startMinute: Number(start[1]) * 60 + Number(start[2]), durationMinutes: minutes.value } };
}

/** "02:30" for 150. */
export function formatStartMinute(startMinute: number): string {
  return `${String(Math.floor(startMinute / 60)).padStart(2, '0')}:${String(startMinute % 60).padStart(2, '0')}`;
}

/** One occurrence of a weekly window: when it starts and ends (real time). */
export interface Occurrence {
  startsAt: Date;
  until: Date;
}

/**
 * Every occurrence of a weekly window running at `now` in `zone` (at most two, where a 7-day window
 * meets next week's across a DST change). Each week's occurrence starts at the local wall time on
 * its weekday (see localStart for the skipped and the repeated hour of a DST change) and lasts
 * durationMinutes of real time. Occurrences starting up to 8 local days back are considered, so a
 * 7-day window that began last week is still seen. This is the only place luxon's zone arithmetic
 * runs for the "in maintenance now" question: callers compute it once per window, never per bot.
 */
export function runningOccurrences(window: WeeklyWindow, zone: string, now: Date): Occurrence[] {
  const local = DateTime.fromJSDate(now, { zone });
  if (!local.isValid) return [];
  const running: Occurrence[] = [];
  for (let back = 0; back <= 8; back++) {
    const day = local.minus({ days: back });
    if (day.weekday !== window.weekday) continue;
    const startsAt = localStart(day, window.startMinute, zone);
    const until = new Date(startsAt.getTime() + window.durationMinutes * 60_000);
    if (startsAt.getTime() <= now.getTime() && now.getTime() < until.getTime()) running.push({ startsAt, until });
  }
  return running;
}

/**
 * The occurrence of a weekly window that is running at `now` in `zone`, or undefined; of
 * overlapping ones, the one that ends last. An occurrence that began at or before `endedAt` was
 * ended early by the owner ("End maintenance now") and does not count; later ones do.
 */
export function weeklyOccurrenceAt(
  window: WeeklyWindow,
  zone: string,
  now: Date,
  endedAt: Date | null = null,
): Occurrence | undefined {
  let found: Occurrence | undefined;
  for (const occurrence of runningOccurrences(window, zone, now)) {
    if (endedAt && occurrence.startsAt.getTime() <= endedAt.getTime()) continue;
    if (!found || occurrence.until > found.until) found = occurrence;
  }
  return found;
}

/**
 * The instant of a local wall time on `day`'s date, built from the date's fields alone, so the answer
 * never depends on the offset of the moment we started from (an ambiguous autumn time is always the
 * same one of its two instants; a skipped spring time moves forward by the gap).
 */
function localStart(day: DateTime, startMinute: number, zone: string): Date {
  return DateTime.fromObject(
    { year: day.year, month: day.month, day: day.day, hour: Math.floor(startMinute / 60), minute: startMinute % 60 },
    { zone },
  ).toJSDate();
}

/** The next start of a weekly window after `now` (for pages: "next: Sun 1 Mar, 02:00"). */
export function nextWeeklyStart(window: WeeklyWindow, zone: string, now: Date): Date | undefined {
  const local = DateTime.fromJSDate(now, { zone });
  if (!local.isValid) return undefined;
  for (let ahead = 0; ahead <= 7; ahead++) {
    const day = local.plus({ days: ahead });
    if (day.weekday !== window.weekday) continue;
    const start = localStart(day, window.startMinute, zone);
    if (start.getTime() > now.getTime()) return start;
  }
  return undefined;
}

/** A weekly window with when it was added (a window added after an early end still counts). */
export type ScheduledWindow = WeeklyWindow & { createdAt?: Date };

/**
 * The occurrences of a weekly window that overlap [from, to), each as it ran (the uptime report's
 * history): none before the window was added, and each ended at the first "End maintenance now"
 * inside it that came after the window was added — as maintenanceUntil decides it live.
 */
export function weeklyOccurrencesBetween(window: ScheduledWindow, zone: string, from: Date, to: Date, endings: readonly Date[] = []): Occurrence[] {
  const first = DateTime.fromJSDate(from, { zone });
  if (!first.isValid) return [];
  const occurrences: Occurrence[] = [];
  for (let day = first.minus({ days: 8 }).startOf('day'); day.toJSDate() < to; day = day.plus({ days: 1 })) {
    if (day.weekday !== window.weekday) continue;
    let startsAt = localStart(day, window.startMinute, zone);
    let until = new Date(startsAt.getTime() + window.durationMinutes * 60_000);
    if (window.createdAt && startsAt < window.createdAt) startsAt = window.createdAt;
    const ending = endings.find((at) => startsAt <= at && at < until && !(window.createdAt && window.createdAt > at));
    if (ending) until = ending;
    if (startsAt < until && until > from && startsAt < to) occurrences.push({ startsAt, until });
  }
  return occurrences;
}

/** What decides whether one bot is in maintenance. */
export interface MaintenanceFacts {
  /** The bot's one-off window, if any (may be over). */
  oneOffUntil: Date | null;
  /** Weekly windows that cover this bot (its own and its owner's "all bots" ones), with when each was added. */
  weekly: readonly ScheduledWindow[];
  /** The owner's IANA time zone. */
  zone: string;
  /**
   * When maintenance was last ended early: occurrences begun by then of the weekly windows that
   * existed then no longer count (a window added after the end is the owner's newer wish).
   */
  endedAt?: Date | null;
}

/** A running occurrence with when its window was added. */
export type RunningOccurrence = Occurrence & { createdAt?: Date };

/** The running occurrences of these windows at `now`, each with when its window was added. */
export function runningOf(windows: readonly ScheduledWindow[], zone: string, now: Date): RunningOccurrence[] {
  return windows.flatMap((window) => runningOccurrences(window, zone, now).map((occurrence) => ({ ...occurrence, createdAt: window.createdAt })));
}

/**
 * The latest end among running occurrences that an early end at `endedAt` left alone: an
 * occurrence begun by then no longer counts, unless its window was added after the end.
 */
function latestSurvivingEnd(occurrences: readonly RunningOccurrence[], endedAt: Date | null | undefined): Date | null {
  let until: Date | null = null;
  for (const occurrence of occurrences) {
    const endedEarly = endedAt && !(occurrence.createdAt && occurrence.createdAt > endedAt) && occurrence.startsAt.getTime() <= endedAt.getTime();
    if (!endedEarly && (!until || occurrence.until > until)) until = occurrence.until;
  }
  return until;
}

const later = (a: Date | null, b: Date | null): Date | null => (a && (!b || a > b) ? a : b);
const runningOneOff = (until: Date | null, now: Date): Date | null => (until && until.getTime() > now.getTime() ? until : null);

/**
 * When the maintenance the bot is in at `now` ends, or null when it is in none. Windows that
 * overlap or touch are one maintenance: the latest end among those running now (and any window
 * that begins before that end is not chained: a site silent at the first end is alerted then).
 */
export function maintenanceUntil(facts: MaintenanceFacts, now: Date): Date | null {
  return later(runningOneOff(facts.oneOffUntil, now), latestSurvivingEnd(runningOf(facts.weekly, facts.zone, now), facts.endedAt));
}

/** One owner's weekly windows running now: those for all their bots, and each bot's own, by bot. */
export interface OwnerOccurrences {
  allBots: readonly RunningOccurrence[];
  byBot: ReadonlyMap<string, readonly RunningOccurrence[]>;
}

/** A bot's own maintenance state, without its windows (those are its owner's). */
export interface BotMaintenanceState {
  id: string;
  ownerId: string;
  oneOffUntil: Date | null;
  endedAt: Date | null;
}

/**
 * maintenanceUntil for many bots at once, from their owners' running occurrences (computed once
 * per window, by the database: see selectMaintenanceEnds), in time that grows with bots + windows,
 * not their product: an owner with many bots and many "all bots" windows must not stall the event
 * loop that every owner's heartbeats share. The "all bots" answer is shared by every bot of the
 * owner with the same early end (an "end maintenance for all" gives them one), so a bot costs a
 * lookup plus its own windows. Same answers as maintenanceUntil: tests/domain/maintenance-rules
 * checks that they agree.
 */
export function maintenanceEnds(
  bots: readonly BotMaintenanceState[],
  owners: ReadonlyMap<string, OwnerOccurrences>,
  now: Date,
): Map<string, Date | null> {
  const shared = new Map<string, Date | null>();
  const ends = new Map<string, Date | null>();
  for (const bot of bots) {
    const oneOff = runningOneOff(bot.oneOffUntil, now);
    const owner = owners.get(bot.ownerId);
    if (!owner) {
      ends.set(bot.id, oneOff);
      continue;
    }
    const key = `${bot.ownerId}@${bot.endedAt?.getTime() ?? ''}`;
    let allBots = shared.get(key);
    if (allBots === undefined) {
      allBots = latestSurvivingEnd(owner.allBots, bot.endedAt);
      shared.set(key, allBots);
    }
    ends.set(bot.id, later(oneOff, later(allBots, latestSurvivingEnd(owner.byBot.get(bot.id) ?? [], bot.endedAt))));
  }
  return ends;
}

/**
 * The "ends in a day" mail of a one-off window: due once the window has less than a day left, if it
 * was longer than a day, and not yet queued for this end time (a window extended later gets its own).
 */
export function endingNoticeDue(window: { startsAt: Date; until: Date; noticeFor: Date | null }, now: Date): boolean {
  const length = window.until.getTime() - window.startsAt.getTime();
  if (length <= ENDING_NOTICE_MS) return false;
  if (window.noticeFor && window.noticeFor.getTime() === window.until.getTime()) return false;
  const left = window.until.getTime() - now.getTime();
  return left > 0 && left <= ENDING_NOTICE_MS;
}
