// Owner-side bot operations: create (issuing the token once), list, read. Owner isolation is
// enforced here: every lookup is by owner and id together.
import { hashSecret, issueBotToken, issueWidgetKey } from '../accounts/credentials.ts';
import type { Database } from '../db/database.ts';
import { findBotByTokenHash, findOwnedBot, insertBot, listOwnedBots, type BotRow } from '../db/bots.ts';
import { findUserByEmail } from '../db/users.ts';
import { parseBotInput } from '../domain/bot-input.ts';
import { NotFoundError, ValidationError } from '../errors.ts';

export interface BotServiceDeps {
  db: Database;
}

export interface CreatedBot {
  bot: BotRow;
  /** The secret token: shown once, never stored. */
  token: string;
}

export function createBotService({ db }: BotServiceDeps) {
  return {
    async createBot(ownerId: string, fields: Record<string, unknown>): Promise<CreatedBot> {
      const parsed = parseBotInput(fields);
      if (!parsed.ok) throw new ValidationError(parsed.message);
      const input = parsed.value;
      const token = issueBotToken();
      const bot = await insertBot(db, {
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
      return { bot, token: token.value };
    },

    async createBotForEmail(ownerEmail: string, fields: Record<string, unknown>): Promise<CreatedBot> {
      const owner = await findUserByEmail(db, ownerEmail.trim());
      if (!owner) throw new NotFoundError(`No user with email ${ownerEmail.trim().toLowerCase()}`);
      return this.createBot(owner.id, fields);
    },

    listBots: (ownerId: string): Promise<BotRow[]> => listOwnedBots(db, ownerId),

    async getBot(ownerId: string, botId: string): Promise<BotRow> {
      const bot = await findOwnedBot(db, ownerId, botId);
      if (!bot) throw new NotFoundError('Bot not found');
      return bot;
    },

    /** The bot a plugin token belongs to, if any (validate endpoint). */
    async botForToken(token: string): Promise<BotRow | undefined> {
      if (!token.startsWith('bot_') || token.length > 200) return undefined;
      return findBotByTokenHash(db, hashSecret(token));
    },
  };
}

export type BotService = ReturnType<typeof createBotService>;
