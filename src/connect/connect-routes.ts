// The plugin's side of one-click connect and of disconnect (docs/contract.md "Connect"):
// POST /api/connect/token exchanges an approval's code for the bot's token, server to server;
// POST /api/bots/wordpress-disconnect (X-Bot-Token) records that the site removed its token.
import type { FastifyInstance } from 'fastify';
import { hashedBotToken, perBotToken } from '../accounts/token-rate-key.ts';
import { sendBotTokenRefusal } from '../http/error-handler.ts';
import { errorAnswer, retryAnswer, unavailableAnswer } from '../http/schemas.ts';
import type { ConnectService } from './connect-service.ts';

export const CONNECT_TOKEN_PATH = '/api/connect/token';
export const WORDPRESS_DISCONNECT_PATH = '/api/bots/wordpress-disconnect';
/** Exchanges per client address per minute: a site exchanges one code per connect. */
const EXCHANGES_PER_MINUTE = 20;

export async function connectRoutes(app: FastifyInstance, { connect }: { connect: ConnectService }) {
  app.post(
    CONNECT_TOKEN_PATH,
    {
      bodyLimit: 8192,
      schema: {
        tags: ['plugin'],
        summary: 'Exchange the code of an approved connect for the bot token (once, within 10 minutes, for the site it was issued for)',
        body: {
          type: 'object',
          properties: {
            code: { type: 'string', description: 'The code the service appended to return_url' },
            site_url: { type: 'string', description: "The site's home_url(), exactly as sent to GET /connect" },
          },
          required: ['code', 'site_url'],
        },
        response: {
          200: {
            type: 'object',
            properties: {
              token: { type: 'string', description: 'The bot token (X-Bot-Token); shown only in this answer' },
              bot_id: { type: 'string' },
              widget_key: { type: 'string', description: 'The public widget key (pub_…)' },
            },
            required: ['token', 'bot_id', 'widget_key'],
          },
          400: errorAnswer('Unknown, already used or expired code, a code issued for another site, or a malformed body'),
          429: retryAnswer('Too many exchanges from this address'),
          503: unavailableAnswer,
        },
      },
      // The service validates, so every error has the seed's shape and says what is wrong.
      validatorCompiler: () => () => true,
      config: { rateLimit: { max: EXCHANGES_PER_MINUTE, timeWindow: 60_000 } },
    },
    async (request) => connect.exchange(request.body),
  );

  app.post(
    WORDPRESS_DISCONNECT_PATH,
    {
      bodyLimit: 4096,
      schema: {
        tags: ['plugin'],
        summary: 'The site removed its token (`wp agentdesk disconnect`, the Disconnect button): the bot shows "disconnected" until the next heartbeat',
        headers: { type: 'object', properties: { 'x-bot-token': { type: 'string' } } },
        response: {
          200: {
            type: 'object',
            properties: { success: { type: 'boolean', const: true }, message: { type: 'string' } },
            required: ['success', 'message'],
          },
          401: errorAnswer('Missing or unknown bot token'),
          403: errorAnswer('The bot is disabled in AgentDesk'),
          429: retryAnswer('Too many requests for this token, or too many failed authentications from this address'),
          503: unavailableAnswer,
        },
      },
      config: { limitAuthFailures: true, rateLimit: { max: 10, timeWindow: 60_000, keyGenerator: perBotToken('dc') } },
    },
    async (request, reply) => {
      const result = await connect.disconnect(hashedBotToken(request)?.token.trim());
      if (result.kind !== 'disconnected') return sendBotTokenRefusal(reply, result);
      return { success: true, message: 'Disconnected: AgentDesk stops watching this site until it reports again' };
    },
  );
}
