// What the signed links in mails do: mute one site for 24 h (single use), stop all alert mails for
// the owner (idempotent, RFC 8058 one-click), stop the weekly digest mentioning one kind (idempotent), or confirm an email contact's address (idempotent;
// only the address the link was sent to). Never imports fastify.
import type { Database } from '../db/database.ts';
import { findBotName, muteOwnedBot } from '../db/bots.ts';
import { findChannel, markContactVerified } from '../db/channels.ts';
import { claimLinkUse } from '../db/link-uses.ts';
import { insertAudit } from '../db/accounts.ts';
import { AUDIT_KEEP_MS } from '../domain/retention.ts';
import { findUserById, unsubscribeOwner } from '../db/users.ts';
import { verifyLink, type LinkAction, type LinkClaims } from '../mail/signed-links.ts';
import { addDigestOptOut } from '../db/attention-digests.ts';
import { ATTENTION_KIND_LABELS } from '../domain/attention-digest.ts';

export const MUTE_FOR_MS = 24 * 3_600_000;

export type LinkOutcome =
  | { kind: 'invalid' }
  | { kind: 'expired' }
  | { kind: 'used' }
  | { kind: 'not_found' }
  | { kind: 'muted'; botName: string; until: Date }
  | { kind: 'unsubscribed' }
  | { kind: 'contact_verified'; address: string }
  | { kind: 'attention_off'; label: string }
  | { kind: 'confirm'; action: LinkAction; botName?: string; address?: string; ownerEmail?: string; label?: string };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface LinkServiceDeps {
  db: Database;
  /** The signing secret; read when first needed, so building the app never touches the database. */
  secret: () => Promise<string>;
  now: () => Date;
}

export function createLinkService({ db, secret, now }: LinkServiceDeps) {
  const check = async (token: unknown, action: LinkAction): Promise<{ claims: LinkClaims; useKey: string } | LinkOutcome> => {
    const verified = verifyLink(await secret(), token, now());
    if (!verified.ok) return { kind: verified.reason === 'expired' ? 'expired' : 'invalid' };
    if (verified.claims.action !== action) return { kind: 'invalid' };
    return { claims: verified.claims, useKey: verified.useKey };
  };

  return {
    /** For the GET page: is this link good, and what would it do? Changes nothing. */
    async inspect(token: unknown, action: LinkAction): Promise<LinkOutcome> {
      const checked = await check(token, action);
      if (!('claims' in checked)) return checked;
      if (action === 'unsubscribe') return { kind: 'confirm', action };
      if (action === 'attention_off') return { kind: 'confirm', action, label: ATTENTION_KIND_LABELS[checked.claims.kind!] };
      if (action === 'verify_contact') {
        const { userId, channelId, address } = checked.claims;
        const channel = UUID.test(userId) && UUID.test(channelId!) ? await findChannel(db, userId, channelId!) : undefined;
        if (!channel || channel.is_account || channel.target !== address) return { kind: 'not_found' };
        return { kind: 'confirm', action, address, ownerEmail: (await findUserById(db, userId))?.email };
      }
      const botName = await findBotName(db, checked.claims.userId, checked.claims.botId!);
      return botName === undefined ? { kind: 'not_found' } : { kind: 'confirm', action, botName };
    },

    /** Mutes the link's bot for 24 h from now; each link works once. */
    async mute(token: unknown): Promise<LinkOutcome> {
      const checked = await check(token, 'mute');
      if (!('claims' in checked)) return checked;
      const { claims, useKey } = checked;
      const at = now();
      return db.transaction(async (tx): Promise<LinkOutcome> => {
        const botName = await findBotName(tx, claims.userId, claims.botId!);
        if (botName === undefined) return { kind: 'not_found' };
        if (!(await claimLinkUse(tx, useKey, at, new Date(claims.exp * 1000)))) return { kind: 'used' };
        const bot = await muteOwnedBot(tx, claims.userId, claims.botId!, new Date(at.getTime() + MUTE_FOR_MS), at);
        // The audit log names the link, not a person: whoever holds a mail's link may use it.
        await insertAudit(
          tx,
          { accountId: claims.userId, at, actorUserId: null, actorEmail: null, via: 'link', action: 'bots:mute', target: claims.botId!, details: { until: bot!.muted_until } },
          AUDIT_KEEP_MS,
        );
        return { kind: 'muted', botName, until: bot!.muted_until! };
      });
    },

    /** Confirms the contact's address, if it is still the one the link was sent to. */
    async verifyContact(token: unknown): Promise<LinkOutcome> {
      const checked = await check(token, 'verify_contact');
      if (!('claims' in checked)) return checked;
      const { userId, channelId, address } = checked.claims;
      if (!UUID.test(userId) || !UUID.test(channelId!)) return { kind: 'invalid' };
      return (await markContactVerified(db, userId, channelId!, address!, now())) ? { kind: 'contact_verified', address: address! } : { kind: 'not_found' };
    },

    /** Stops the weekly digest from mentioning the link's kind of attention item (idempotent). */
    async attentionOff(token: unknown): Promise<LinkOutcome> {
      const checked = await check(token, 'attention_off');
      if (!('claims' in checked)) return checked;
      const { userId, kind } = checked.claims;
      return (await addDigestOptOut(db, userId, kind!, now())) ? { kind: 'attention_off', label: ATTENTION_KIND_LABELS[kind!] } : { kind: 'not_found' };
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
