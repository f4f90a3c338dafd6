// Maintenance windows for owners and sites: open a bot's one-off window, or one for
// several (or all) of an owner's bots; end the maintenance bots are in now (one-off and weekly);
// open one from the site with its bot token (deploy scripts, `wp agentdesk maintenance`); and
// manage the owner's weekly windows. Owner isolation is here: every lookup is by owner and id
// together, so another owner's bot is a 404 and is never changed.
import { hashSecret, isBotTokenShape } from '../accounts/credentials.ts';
import { findBotByTokenHash, findOwnedBot, isUuid, listOwnedBots } from '../db/bots.ts';
import type { Database, Queryable } from '../db/database.ts';
import {
  deleteSchedule,
  endMaintenance,
  insertSchedule,
  listSchedules,
  lockOwnedBotForMaintenance,
  selectMaintenanceEnds,
  setOneOffWindow,
  type ScheduleRow,
} from '../db/maintenance.ts';
import { findUserById } from '../db/users.ts';
import { formatStartMinute, nextWeeklyStart, oneOffWindow, parseMinutes, parseReason, parseWeeklyWindow } from '../domain/maintenance.ts';
import { NotFoundError, ValidationError } from '../errors.ts';
import { DEFAULT_QUOTAS, type Quotas } from '../domain/quotas.ts';
import { createWithinQuota } from '../accounts/quotas.ts';

export interface MaintenanceServiceDeps {
  db: Database;
  now?: () => Date;
  /** Per-owner limits (admins exempt): weekly windows count. */
  quotas?: Quotas;
}

export type TokenWindowResult = { kind: 'opened'; until: Date } | { kind: 'invalid_token' } | { kind: 'bot_disabled' } | { kind: 'invalid_body'; message: string };
export type TokenEndResult = { kind: 'ended'; ended: boolean } | { kind: 'invalid_token' } | { kind: 'bot_disabled' };

function parsed<T>(result: { ok: true; value: T } | { ok: false; message: string }): T {
  if (!result.ok) throw new ValidationError(result.message);
  return result.value;
}

const body = (value: unknown): Record<string, unknown> => (value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {});

/** `bot_ids` of a request about several bots: absent = all the owner's bots; an id that is no uuid is no bot of theirs. */
function parseBotIds(value: unknown): string[] | 'all' {
  if (value === undefined) return 'all';
  if (!Array.isArray(value) || value.length === 0 || !value.every((id) => typeof id === 'string')) {
    throw new ValidationError('bot_ids must be a non-empty list of bot ids, or absent for all your bots');
  }
  const ids = [...new Set(value as string[])];
  if (!ids.every(isUuid)) throw new NotFoundError('Bot not found');
  return ids;
}

/**
 * Ends the maintenance of those of these bots that are in one at `at` (one-off window and running
 * weekly occurrences alike); the others are left as they are. Returns the ids it ended.
 */
async function endRunning(tx: Queryable, ownerId: string, botIds: readonly string[], at: Date): Promise<string[]> {
  const ends = await selectMaintenanceEnds(tx, botIds, at);
  const running = botIds.filter((id) => (ends.get(id) ?? null) !== null);
  return endMaintenance(tx, ownerId, running, at);
}

export function createMaintenanceService({ db, now = () => new Date(), quotas = DEFAULT_QUOTAS }: MaintenanceServiceDeps) {
  const botOfToken = async (token: string | undefined) => (token && isBotTokenShape(token) ? findBotByTokenHash(db, hashSecret(token)) : undefined);

  /**
   * "End maintenance now" for one bot: its one-off window and the running occurrence of every
   * weekly window covering it (the weekly rules stay for next week). `ended: false` when it was in
   * no window, which is not an error: the window may have just run out.
   */
  async function endForBot(ownerId: string, botId: string): Promise<{ ended: boolean }> {
    return db.transaction(async (tx) => {
      if (!(await lockOwnedBotForMaintenance(tx, ownerId, botId))) throw new NotFoundError('Bot not found');
      return { ended: (await endRunning(tx, ownerId, [botId], now())).length > 0 };
    });
  }

  return {
    /** Opens (or replaces) one bot's window: `{minutes, reason?}`. */
    async openForBot(ownerId: string, botId: string, input: unknown): Promise<{ until: Date }> {
      const fields = body(input);
      const minutes = parsed(parseMinutes(fields.minutes));
      const reason = parsed(parseReason(fields.reason));
      const window = oneOffWindow(minutes, now());
      const applied = await setOneOffWindow(db, ownerId, [botId], { ...window, reason });
      if (applied.length === 0) throw new NotFoundError('Bot not found');
      return { until: window.until };
    },

    endForBot,

    /**
     * "End maintenance now" for the listed bots, or all the owner's bots when `bot_ids` is absent.
     * A list naming a bot the owner does not have is refused whole (404), as when opening.
     */
    async endForOwner(ownerId: string, input: unknown): Promise<{ botIds: string[] }> {
      const botIds = parseBotIds(body(input).bot_ids);
      return db.transaction(async (tx) => {
        const owned = new Set((await listOwnedBots(tx, ownerId)).map((bot) => bot.id));
        if (botIds !== 'all' && !botIds.every((id) => owned.has(id))) throw new NotFoundError('Bot not found');
        return { botIds: await endRunning(tx, ownerId, botIds === 'all' ? [...owned] : botIds, now()) };
      });
    },

    /**
     * Opens a window for the listed bots, or all the owner's bots when `bot_ids` is absent. A list
     * naming a bot the owner does not have is refused whole (404), so nothing is half applied.
     */
    async openForOwner(ownerId: string, input: unknown): Promise<{ until: Date; botIds: string[] }> {
      const fields = body(input);
      const minutes = parsed(parseMinutes(fields.minutes));
      const reason = parsed(parseReason(fields.reason));
      const botIds = parseBotIds(fields.bot_ids);
      const window = oneOffWindow(minutes, now());
      return db.transaction(async (tx) => {
        const applied = await setOneOffWindow(tx, ownerId, botIds, { ...window, reason });
        if (botIds !== 'all' && applied.length !== botIds.length) throw new NotFoundError('Bot not found');
        return { until: window.until, botIds: applied };
      });
    },

    /** The site's own request (`X-Bot-Token`, `{minutes, reason?}`), answered like the heartbeat. */
    async openForToken(token: string | undefined, input: unknown): Promise<TokenWindowResult> {
      const bot = await botOfToken(token);
      if (!bot) return { kind: 'invalid_token' };
      if (!bot.is_active) return { kind: 'bot_disabled' };
      const fields = body(input);
      const minutes = parseMinutes(fields.minutes);
      if (!minutes.ok) return { kind: 'invalid_body', message: minutes.message };
      const reason = parseReason(fields.reason);
      if (!reason.ok) return { kind: 'invalid_body', message: reason.message };
      const window = oneOffWindow(minutes.value, now());
      await setOneOffWindow(db, bot.user_id, [bot.id], { ...window, reason: reason.value ?? 'opened by the site' });
      return { kind: 'opened', until: window.until };
    },

    /**
     * The site's own "we're done" (`wp agentdesk maintenance end`, the end of a deploy script): ends
     * its bot's maintenance as the owner's "End maintenance now" does. `ended: false` when none ran.
     */
    async endForToken(token: string | undefined): Promise<TokenEndResult> {
      const bot = await botOfToken(token);
      if (!bot) return { kind: 'invalid_token' };
      if (!bot.is_active) return { kind: 'bot_disabled' };
      return { kind: 'ended', ...(await endForBot(bot.user_id, bot.id)) };
    },

    /** The owner's weekly windows, each with its next start in their time zone. */
    async schedules(ownerId: string) {
      const owner = await findUserById(db, ownerId);
      const zone = owner?.timezone ?? 'UTC';
      return (await listSchedules(db, ownerId)).map((row) => scheduleJson(row, zone, now()));
    },

    /** Adds a weekly window: `{weekday: 1-7, start: "HH:MM", minutes, bot_id?, reason?}` (owner's zone). */
    async addSchedule(ownerId: string, input: unknown) {
      const fields = body(input);
      const window = parsed(parseWeeklyWindow({ weekday: fields.weekday, start: fields.start, minutes: fields.minutes }));
      const reason = parsed(parseReason(fields.reason));
      let botId: string | null = null;
      if (fields.bot_id !== undefined && fields.bot_id !== null && fields.bot_id !== '') {
        if (typeof fields.bot_id !== 'string' || !(await findOwnedBot(db, ownerId, fields.bot_id))) throw new NotFoundError('Bot not found');
        botId = fields.bot_id;
      }
      const row = await createWithinQuota(db, quotas, 'schedules', ownerId, (tx) => insertSchedule(tx, ownerId, botId, window, reason, now()));
      const owner = await findUserById(db, ownerId);
      return scheduleJson(row, owner?.timezone ?? 'UTC', now());
    },

    /** The owner's bots by name, for the maintenance page's "which bot" choice. */
    async botChoices(ownerId: string): Promise<Array<{ id: string; name: string }>> {
      return (await listOwnedBots(db, ownerId)).map((bot) => ({ id: bot.id, name: bot.name }));
    },

    async removeSchedule(ownerId: string, id: string): Promise<void> {
      if (!(await deleteSchedule(db, ownerId, id))) throw new NotFoundError('Maintenance schedule not found');
    },
  };
}

export type MaintenanceService = ReturnType<typeof createMaintenanceService>;

const WEEKDAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];

function scheduleJson(row: ScheduleRow, zone: string, now: Date) {
  const window = { weekday: row.weekday, startMinute: row.start_minute, durationMinutes: row.duration_minutes };
  return {
    id: String(row.id),
    bot_id: row.bot_id,
    weekday: row.weekday,
    weekday_name: WEEKDAYS[row.weekday - 1]!,
    start: formatStartMinute(row.start_minute),
    minutes: row.duration_minutes,
    time_zone: zone,
    reason: row.reason,
    next_start: nextWeeklyStart(window, zone, now)?.toISOString() ?? null,
  };
}
