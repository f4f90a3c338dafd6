// One-click connect and the plugin's disconnect (docs/contract.md "Connect"): the owner approves a
// site (an existing bot or a new one named after it), the site exchanges the single-use code for a
// token, server to server; later the site may disconnect with that token.
import { MAX_PAGE_SIZE } from '../domain/list-cursor.ts';
import { randomBytes } from 'node:crypto';
import { hashSecret, isBotTokenShape, issueBotToken } from '../accounts/credentials.ts';
import type { BotService } from '../bots/bot-service.ts';
import type { MaintainedBot } from '../bots/bot-maintenance.ts';
import type { Database } from '../db/database.ts';
import { bindBotToSite, claimConnectCode, disconnectBotByToken, findConnectCode, insertConnectCode } from '../db/connect.ts';
import {
  botNameForSite,
  codeRefusal,
  connectReturn,
  CONNECT_CODE_TTL_MS,
  isConnectCodeShape,
  parseConnectRequest,
  type ConnectRequest,
} from '../domain/connect.ts';
import { parseSiteUrl } from '../domain/heartbeat-input.ts';
import { STATUS_AFTER_DISCONNECT } from '../domain/connection-status.ts';
import { ValidationError } from '../errors.ts';

export interface ConnectServiceDeps {
  db: Database;
  bots: BotService;
  now: () => Date;
}

/** What the site gets for its code. */
export interface ConnectGrant {
  token: string;
  bot_id: string;
  widget_key: string;
}

export type DisconnectResult = { kind: 'disconnected' } | { kind: 'invalid_token' } | { kind: 'bot_disabled' };

/** `bot_id` of the approval form: one of the owner's bots, or a new one named after the site. */
export const NEW_BOT = 'new';

function checked(input: Record<string, unknown>): ConnectRequest {
  const parsed = parseConnectRequest(input);
  if (!parsed.ok) throw new ValidationError(parsed.message);
  return parsed.value;
}

export function createConnectService({ db, bots, now }: ConnectServiceDeps) {
  return {
    /** The approval page's facts: the checked request, the owner's bots and the new bot's name. */
    async approvalFor(ownerId: string, input: Record<string, unknown>): Promise<{ request: ConnectRequest; bots: MaintainedBot[]; newBotName: string }> {
      const request = checked(input);
      // The picker lists up to a page of the largest size, oldest first (the per-account bot limit's default).
      const { bots: owned } = await bots.listBotsAfter(ownerId, { limit: MAX_PAGE_SIZE });
      return { request, bots: owned, newBotName: botNameForSite(request.siteUrl) };
    },

    /**
     * The owner approved: the chosen bot (or a new one) gets a code for this site, and the browser
     * goes back to the site with it. Another owner's bot is a 404, as everywhere.
     */
    async approve(ownerId: string, input: Record<string, unknown>): Promise<{ redirect: string; botId: string }> {
      const request = checked(input);
      const choice = input.bot_id;
      if (typeof choice !== 'string' || choice === '') throw new ValidationError('Choose a bot for this site, or a new one');
      const bot = choice === NEW_BOT ? (await bots.createBot(ownerId, { name: botNameForSite(request.siteUrl) })).bot : await bots.getBot(ownerId, choice);
      const code = randomBytes(32).toString('base64url');
      const at = now();
      await insertConnectCode(db, {
        codeHash: hashSecret(code),
        userId: ownerId,
        botId: bot.id,
        siteUrl: request.siteUrl,
        createdAt: at,
        expiresAt: new Date(at.getTime() + CONNECT_CODE_TTL_MS),
      });
      return { redirect: connectReturn(request.returnUrl, { code, state: request.state }), botId: bot.id };
    },

    /**
     * POST /api/connect/token: a code, once, within 10 minutes, for the site it was issued for.
     * The bot gets a new token (the previous one stops working, as with a rotation).
     */
    async exchange(body: unknown): Promise<ConnectGrant> {
      const fields = body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
      if (!isConnectCodeShape(fields.code)) throw new ValidationError('code is required: the value the service added to return_url');
      const site = parseSiteUrl(fields.site_url);
      if (!site.ok) throw new ValidationError(site.message);
      const code = fields.code;
      const codeHash = hashSecret(code);
      return db.transaction(async (tx) => {
        const at = now();
        const claimed = await claimConnectCode(tx, codeHash, site.value, at);
        if (!claimed) throw new ValidationError(codeRefusal(await findConnectCode(tx, codeHash), site.value, at) ?? 'This connect code cannot be used');
        const token = issueBotToken();
        const bot = await bindBotToSite(tx, claimed.user_id, claimed.bot_id, site.value, token, at);
        if (!bot) throw new ValidationError('The bot this code was issued for no longer exists');
        return { token: token.value, bot_id: bot.id, widget_key: bot.widget_key };
      });
    },

    /** POST /api/bots/wordpress-disconnect: the site removed its token; the bot shows "disconnected". */
    async disconnect(token: string | undefined): Promise<DisconnectResult> {
      if (!token || !isBotTokenShape(token)) return { kind: 'invalid_token' };
      const bot = await disconnectBotByToken(db, hashSecret(token), STATUS_AFTER_DISCONNECT, now());
      if (!bot) return { kind: 'invalid_token' };
      return bot.is_active ? { kind: 'disconnected' } : { kind: 'bot_disabled' };
    },
  };
}

export type ConnectService = ReturnType<typeof createConnectService>;
