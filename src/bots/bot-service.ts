// Bot operations: the owner's (create, issuing the token once; list, read, change, mute, delete,
// rotate the token; the bot page's history), and the plugin's and widget's lookups by token and by
// widget key. Owner isolation is enforced here: every owner lookup is by owner and id together.
import { hashSecret, isBotTokenShape, isWidgetKeyShape, issueBotToken, issueWidgetKey } from '../accounts/credentials.ts';
import type { Database, Queryable } from '../db/database.ts';
import { findBotByTokenHash, findBotByWidgetKey, findOwnedBot, insertBot, listConnectionEvents, listConnectionEventsBefore, muteOwnedBot, type BotRow, type ConnectionEventRow } from '../db/bots.ts';
import {
  deleteOwnedBot,
  listHeartbeatHours,
  listOwnedBotsAfter,
  listOwnedBotsPage,
  setOwnedBotsMutedUntil,
  replaceBotToken,
  updateOwnedBot,
  type BotChanges,
  type BotListFilter,
} from '../db/bot-changes.ts';
import { selectAlertPendingUntil } from '../db/alert-groups.ts';
import { listAlertMailsForBot } from '../db/outbox.ts';
import { isProbePending } from '../db/probes.ts';
import { findUserByEmail } from '../db/users.ts';
import { withMaintenanceEnds, type MaintainedBot } from './bot-maintenance.ts';
import { parseBotInput } from '../domain/bot-input.ts';
import { parseClientId } from '../domain/client-input.ts';
import { parseEmail } from '../domain/email-address.ts';
import { DEFAULT_QUOTAS, type Quotas } from '../domain/quotas.ts';
import { createWithinQuota } from '../accounts/quotas.ts';
import { NotFoundError, ValidationError } from '../errors.ts';
import { BAD_CURSOR_MESSAGE, decodeCursor, encodeCursor, pageOf, type ListPosition } from '../domain/list-cursor.ts';
import type { ConnectionStatus } from '../domain/connection-status.ts';

export interface BotPageRequest {
  limit: number;
  /** The previous page's next_cursor; the first page without it. */
  cursor?: string;
  status?: ConnectionStatus;
  search?: string;
  clientId?: string;
  keep?: (bot: MaintainedBot) => boolean;
}

/** How many bots a filtered page reads per query while it looks for matches. */
const KEEP_SCAN_CHUNK = 500;

export interface BotServiceDeps {
  db: Database;
  now?: () => Date;
  /** Per-owner limits (admins exempt). */
  quotas?: Quotas;
}

/** The public chat widget's configuration (GET /api/bots/config/:widgetKey). */
export interface WidgetConfig {
  widget_key: string;
  name: string;
  language: string;
  welcome_message: string | null;
  is_trained: boolean;
}

export interface CreatedBot {
  bot: MaintainedBot;
  /** The secret token: shown once, never stored. */
  token: string;
}

export function createBotService({ db, now = () => new Date(), quotas = DEFAULT_QUOTAS }: BotServiceDeps) {
  const withMaintenance = async <T extends BotRow>(rows: T[]) => withMaintenanceEnds(db, rows, now());
  const one = async (row: BotRow) => (await withMaintenance([row]))[0]!;

  return {
    async createBot(ownerId: string, fields: Record<string, unknown>): Promise<CreatedBot> {
      const parsed = parseBotInput(fields);
      if (!parsed.ok) throw new ValidationError(parsed.message);
      const input = parsed.value;
      const token = issueBotToken();
      const insert = (tx: Queryable) => insertBot(tx, {
        userId: ownerId,
        name: input.name!,
        description: input.description,
        language: input.language,
        model: input.model,
        personality: input.personality,
        welcomeMessage: input.welcomeMessage,
        tokenHash: token.hash,
        tokenPrefix: token.prefix,
        widgetKey: issueWidgetKey(),
      });
      const extra = { isActive: input.isActive, isTrained: input.isTrained, staleGraceSeconds: input.staleGraceSeconds };
      const bot = await createWithinQuota(db, quotas, 'bots', ownerId, async (tx) => {
        const inserted = await insert(tx);
        if (Object.values(extra).every((value) => value === undefined)) return inserted;
        // Fields the INSERT does not take are set in the same transaction.
        return (await updateOwnedBot(tx, ownerId, inserted.id, extra, now()))!;
      });
      return { bot: await one(bot), token: token.value };
    },

    async createBotForEmail(ownerEmail: string, fields: Record<string, unknown>): Promise<CreatedBot> {
      const parsed = parseEmail(ownerEmail, 'owner');
      if (!parsed.ok) throw new ValidationError(parsed.message);
      const email = parsed.value;
      const owner = await findUserByEmail(db, email);
      if (!owner) throw new NotFoundError(`No user with email ${email}`);
      return this.createBot(owner.id, fields);
    },

    /**
     * One page of the API's bot list: up to `limit` bots after the cursor's, oldest first, that
     * pass `keep` (a filter the database cannot apply, such as attention items), and the cursor
     * of the next page — null when no further bot passes. Without `keep` a page is one query;
     * with it the list is walked in chunks until the page is full or the list ends.
     */
    async listBotsAfter(ownerId: string, page: BotPageRequest): Promise<{ bots: MaintainedBot[]; nextCursor: string | null }> {
      let after: ListPosition | undefined;
      if (page.cursor !== undefined) {
        after = decodeCursor(page.cursor);
        if (!after) throw new ValidationError(BAD_CURSOR_MESSAGE);
      }
      const keep = page.keep ?? (() => true);
      const chunk = page.keep ? Math.max(page.limit + 1, KEEP_SCAN_CHUNK) : page.limit + 1;
      const kept: Array<{ bot: MaintainedBot; position: ListPosition }> = [];
      for (;;) {
        const rows = await listOwnedBotsAfter(db, ownerId, { status: page.status, search: page.search, clientId: page.clientId, after, limit: chunk });
        const maintained = await withMaintenance(rows.map((row) => row.bot));
        for (const [index, bot] of maintained.entries()) {
          if (!keep(bot)) continue;
          // One more match than the page holds: the page is full and a next one exists.
          if (kept.length === page.limit) return { bots: kept.map((k) => k.bot), nextCursor: encodeCursor(kept[kept.length - 1]!.position) };
          kept.push({ bot, position: rows[index]!.position });
        }
        if (rows.length < chunk) return { bots: kept.map((k) => k.bot), nextCursor: null };
        after = rows[rows.length - 1]!.position;
      }
    },

    /** Whether the sweep nudged this silent site and waits for its heartbeat (the page's "checking"). */
    beingChecked: (botId: string): Promise<boolean> => isProbePending(db, botId),

    /** For the bots with an alert mail waiting in an open group: when it goes out at the latest. */
    alertPendingUntil: (botIds: readonly string[]): Promise<Map<string, Date>> => selectAlertPendingUntil(db, botIds),

    async getBot(ownerId: string, botId: string): Promise<MaintainedBot> {
      const bot = await findOwnedBot(db, ownerId, botId);
      if (!bot) throw new NotFoundError('Bot not found');
      return one(bot);
    },

    /** Changes the given fields (partial: absent fields are kept). muted_until is an ISO time or null. */
    async updateBot(ownerId: string, botId: string, fields: Record<string, unknown>): Promise<MaintainedBot> {
      const parsed = parseBotInput(fields, { partial: true });
      if (!parsed.ok) throw new ValidationError(parsed.message);
      const changes: BotChanges = { ...parsed.value };
      if (fields.muted_until !== undefined) changes.mutedUntil = parseMutedUntil(fields.muted_until);
      if (fields.client_id !== undefined) {
        const client = parseClientId(fields.client_id);
        if (!client.ok) throw new ValidationError(client.message);
        changes.clientId = client.value;
      }
      const bot = await updateOwnedBot(db, ownerId, botId, changes, now()).catch((error: { code?: string; constraint?: string }) => {
        // The (client, owner) foreign key: a client of another owner is no client of theirs.
        if (error.code === '23503' && error.constraint === 'bots_client_fk') throw new NotFoundError('Client not found');
        throw error;
      });
      if (!bot) throw new NotFoundError('Bot not found');
      return one(bot);
    },

    /** Sets muted_until (an ISO time, or null to unmute) on these bots, as PUT /api/bots/:id does for one; how many. */
    async setMutedUntil(ownerId: string, botIds: readonly string[], value: unknown): Promise<number> {
      return setOwnedBotsMutedUntil(db, ownerId, botIds, parseMutedUntil(value), now());
    },

    /** Mutes the bot's owner alerts until `until`, never shortening a longer mute (null unmutes). */
    async muteBot(ownerId: string, botId: string, until: Date | null): Promise<MaintainedBot> {
      const bot = await muteOwnedBot(db, ownerId, botId, until, now());
      if (!bot) throw new NotFoundError('Bot not found');
      return one(bot);
    },

    async deleteBot(ownerId: string, botId: string): Promise<void> {
      if (!(await deleteOwnedBot(db, ownerId, botId))) throw new NotFoundError('Bot not found');
    },

    /** One page of the bot's connection events, newest first, and the next page's cursor (null on the last). */
    async events(ownerId: string, botId: string, page: { limit: number; cursor?: string }): Promise<{ events: ConnectionEventRow[]; nextCursor: string | null }> {
      const before = page.cursor === undefined ? undefined : decodeCursor(page.cursor, 'serial');
      if (page.cursor !== undefined && !before) throw new ValidationError(BAD_CURSOR_MESSAGE);
      const bot = await findOwnedBot(db, ownerId, botId);
      if (!bot) throw new NotFoundError('Bot not found');
      const { rows, nextCursor } = pageOf(await listConnectionEventsBefore(db, bot.id, { before, limit: page.limit + 1 }), page.limit);
      return { events: rows.map((row) => row.event), nextCursor };
    },

    /** Issues a new token; the old one stops working at once. The new one is returned once. */
    async rotateToken(ownerId: string, botId: string): Promise<CreatedBot> {
      const token = issueBotToken();
      const bot = await replaceBotToken(db, ownerId, botId, token, now());
      if (!bot) throw new NotFoundError('Bot not found');
      return { bot: await one(bot), token: token.value };
    },

    async listBotsPage(ownerId: string, filter: BotListFilter) {
      const page = await listOwnedBotsPage(db, ownerId, filter);
      return { ...page, bots: await withMaintenance(page.bots) };
    },

    /**
     * The bot's recent history for its page: hourly heartbeat counts since `since`, its latest
     * events and the latest alert mails about it (a failed delivery is shown there).
     */
    async history(ownerId: string, botId: string, since: Date) {
      const bot = await this.getBot(ownerId, botId);
      const hours = await listHeartbeatHours(db, bot.id, since);
      const events = await listConnectionEvents(db, bot.id, 50);
      const mails = await listAlertMailsForBot(db, bot.id);
      return { bot, hours, events, mails };
    },

    /**
     * What the public chat widget may know about a bot, by its widget key; undefined for an unknown
     * key or a disabled bot (answered alike, so a key reveals nothing about a switched-off bot).
     */
    async widgetConfig(widgetKey: string): Promise<WidgetConfig | undefined> {
      const bot = isWidgetKeyShape(widgetKey) ? await findBotByWidgetKey(db, widgetKey) : undefined;
      if (!bot || !bot.is_active) return undefined;
      return { widget_key: bot.widget_key, name: bot.name, language: bot.language, welcome_message: bot.welcome_message, is_trained: bot.is_trained };
    },

    /** The bot a plugin token belongs to, if any (validate endpoint). */
    async botForToken(token: string): Promise<BotRow | undefined> {
      if (!isBotTokenShape(token)) return undefined;
      return findBotByTokenHash(db, hashSecret(token));
    },
  };
}

export type BotService = ReturnType<typeof createBotService>;

/** muted_until from the API: null (unmute) or an ISO 8601 time. */
function parseMutedUntil(value: unknown): Date | null {
  if (value === null || value === '') return null;
  const date = typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(value) ? new Date(value) : undefined;
  if (!date || Number.isNaN(date.getTime())) throw new ValidationError('muted_until must be an ISO 8601 time such as 2026-12-01T09:00:00Z, or null');
  return date;
}
