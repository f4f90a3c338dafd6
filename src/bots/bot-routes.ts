// Plugin-facing (validate, public widget config) and owner-facing (list, read) bot endpoints.
import type { FastifyInstance } from 'fastify';
import type { UserService } from '../accounts/user-service.ts';
import { effectiveStatus } from '../domain/connection-status.ts';
import { requireOwner } from '../http/authenticate.ts';
import { sendError } from '../http/error-handler.ts';
import { findBotByWidgetKey } from '../db/bots.ts';
import type { Database } from '../db/database.ts';
import { botToJson } from './bot-json.ts';
import type { BotService } from './bot-service.ts';

export interface BotRouteDeps {
  db: Database;
  bots: BotService;
  users: UserService;
}

export async function botRoutes(app: FastifyInstance, { db, bots, users }: BotRouteDeps) {
  // The plugin's settings page checks a token before saving it.
  app.post('/api/bots/validate', async (request, reply) => {
    const token = request.headers['x-bot-token'];
    const bot = typeof token === 'string' ? await bots.botForToken(token.trim()) : undefined;
    if (!bot) return reply.code(401).send({ valid: false, success: false, message: 'Missing or invalid bot token' });
    if (!bot.is_active) return reply.code(403).send({ valid: false, success: false, message: 'This bot is disabled in AgentDesk' });
    return {
      valid: true,
      bot: {
        id: bot.id,
        name: bot.name,
        widget_key: bot.widget_key,
        language: bot.language,
        welcome_message: bot.welcome_message,
        is_active: bot.is_active,
        connection_status: effectiveStatus(bot),
      },
    };
  });

  // Public: read by the chat widget on any site, so it is keyed by the public widget key and cacheable.
  app.get<{ Params: { widgetKey: string } }>('/api/bots/config/:widgetKey', async (request, reply) => {
    const key = request.params.widgetKey;
    const bot = /^pub_[A-Za-z0-9_\-]{10,64}$/.test(key) ? await findBotByWidgetKey(db, key) : undefined;
    if (!bot || !bot.is_active) return sendError(reply, 404, 'Unknown widget key');
    reply.header('Cache-Control', 'public, max-age=60').header('Access-Control-Allow-Origin', '*');
    return {
      widget_key: bot.widget_key,
      name: bot.name,
      language: bot.language,
      welcome_message: bot.welcome_message,
      is_trained: bot.is_trained,
    };
  });

  const authenticate = requireOwner(users);
  app.get('/api/bots', { preHandler: authenticate }, async (request) => {
    const list = await bots.listBots(request.owner!.id);
    return { bots: list.map(botToJson) };
  });
  app.get<{ Params: { id: string } }>('/api/bots/:id', { preHandler: authenticate }, async (request) => {
    return botToJson(await bots.getBot(request.owner!.id, request.params.id));
  });
}
