// What the signed links in owner mails do: mute one site for 24 h (single use) or stop all alert
// mails for the owner (idempotent, RFC 8058 one-click). Never imports fastify.
import type { Database } from '../db/database.ts';
import { findBotName, muteOwnedBot } from '../db/bots.ts';
import { claimLinkUse } from '../db/link-uses.ts';
import { unsubscribeOwner } from '../db/users.ts';
import { tokenHash, verifyLink, type LinkAction, type LinkClaims } from './signed-links.ts';

export const MUTE_FOR_MS = 24 * 3_600_000;

export type LinkOutcome =
  | { kind: 'invalid' }
  | { kind: 'expired' }
  | { kind: 'used' }
  | { kind: 'not_found' }
  | { kind: 'muted'; botName: string; until: Date }
  | { kind: 'unsubscribed' }
  | { kind: 'confirm'; action: LinkAction; botName?: string };

export interface LinkServiceDeps {
  db: Database;
  /** The signing secret; read when first needed, so building the app never touches the database. */
  secret: () => Promise<string>;
  now: () => Date;
}

export function createLinkService({ db, secret, now }: LinkServiceDeps) {
  const check = async (token: unknown, action: LinkAction): Promise<{ claims: LinkClaims } | LinkOutcome> => {
    const verified = verifyLink(await secret(), token, now());
    if (!verified.ok) return { kind: verified.reason === 'expired' ? 'expired' : 'invalid' };
    if (verified.claims.action !== action) return { kind: 'invalid' };
    return { claims: verified.claims };
  };

  return {
    /** For the GET page: is this link good, and what would it do? Changes nothing. */
    async inspect(token: unknown, action: LinkAction): Promise<LinkOutcome> {
      const checked = await check(token, action);
      if (!('claims' in checked)) return checked;
      if (action === 'unsubscribe') return { kind: 'confirm', action };
      const botName = await findBotName(db, checked.claims.userId, checked.claims.botId!);
      return botName === undefined ? { kind: 'not_found' } : { kind: 'confirm', action, botName };
    },

    /** Mutes the link's bot for 24 h from now; each link works once. */
    async mute(token: unknown): Promise<LinkOutcome> {
      const checked = await check(token, 'mute');
      if (!('claims' in checked)) return checked;
      const { claims } = checked;
      const at = now();
      return db.transaction(async (tx): Promise<LinkOutcome> => {
        const botName = await findBotName(tx, claims.userId, claims.botId!);
        if (botName === undefined) return { kind: 'not_found' };
        if (!(await claimLinkUse(tx, tokenHash(token as string), at, new Date(claims.exp * 1000)))) return { kind: 'used' };
        const bot = await muteOwnedBot(tx, claims.userId, claims.botId!, new Date(at.getTime() + MUTE_FOR_MS), at);
        return { kind: 'muted', botName, until: bot!.muted_until! };
      });
    },

    /** Turns off every alert mail for the link's owner. */
    async unsubscribe(token: unknown): Promise<LinkOutcome> {
      const checked = await check(token, 'unsubscribe');
      if (!('claims' in checked)) return checked;
      return (await unsubscribeOwner(db, checked.claims.userId)) ? { kind: 'unsubscribed' } : { kind: 'not_found' };
    },
  };
}

export type LinkService = ReturnType<typeof createLinkService>;
