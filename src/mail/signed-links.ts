// Signed, expiring links in owner mails ("mute this site for 24 h", one-click unsubscribe) and in
// the confirmation mail of an email contact: no login needed, so the link itself is the credential. Token = base64url(JSON claims) "." HMAC-SHA256 of it
// under a key derived from the server secret; compared in constant time.
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { isUuid } from '../db/bots.ts';
import { hasControlCharacters } from '../domain/text.ts';
import { ATTENTION_KINDS, type AttentionKind } from '../domain/attention.ts';

// verify_contact: an email contact's confirmation; confirm_signup: the link of a SIGNUP=verify
// sign-up mail; resend_confirmation: the log-in page's "send the link again" button, handed out
// only after the right password (src/accounts/signup-confirmation.ts); accept_invitation: an
// invitation to join an account (userId names the account, invitationId the invitation).
export type LinkAction = 'mute' | 'unsubscribe' | 'verify_contact' | 'confirm_signup' | 'resend_confirmation' | 'attention_off' | 'accept_invitation';

export interface LinkClaims {
  action: LinkAction;
  userId: string;
  botId?: string;
  /** verify_contact: the contact, and the address the link was sent to (it confirms only that one). */
  channelId?: string;
  address?: string;
  /** attention_off: the kind of attention item the weekly digest stops mentioning. */
  kind?: AttentionKind;
  /** accept_invitation: the invitation (single use: it is marked accepted). */
  invitationId?: string;
  /** Expiry, in seconds since the epoch. */
  exp: number;
  /** Makes each issued token unique (single-use links are remembered by their hash). */
  nonce: string;
}

export type LinkVerification =
  | { ok: true; claims: LinkClaims; /** What a single use is remembered by: see useKey(). */ useKey: string }
  | { ok: false; reason: 'malformed' | 'bad_signature' | 'expired' };

/**
 * Mute and contact confirmation links expire a week after they are sent; unsubscribe links stay
 * good for 90 days; a sign-up confirmation for a week; the resend button as long as one sits on a
 * log-in page (30 minutes).
 */
export const LINK_LIFETIME_MS: Record<LinkAction, number> = {
  mute: 7 * 86_400_000,
  unsubscribe: 90 * 86_400_000,
  verify_contact: 7 * 86_400_000,
  confirm_signup: 7 * 86_400_000,
  resend_confirmation: 30 * 60_000,
  attention_off: 90 * 86_400_000,
  accept_invitation: 7 * 86_400_000,
};

const ACTIONS: readonly unknown[] = ['mute', 'unsubscribe', 'verify_contact', 'confirm_signup', 'resend_confirmation', 'attention_off', 'accept_invitation'] satisfies LinkAction[];

function mac(secret: string, data: string): Buffer {
  const key = createHmac('sha256', secret).update('agentdesk alert links v1').digest();
  return createHmac('sha256', key).update(data).digest();
}

export function signLink(secret: string, claims: Omit<LinkClaims, 'nonce' | 'exp'>, now: Date): string {
  return signClaims(secret, {
    ...claims,
    exp: Math.floor((now.getTime() + LINK_LIFETIME_MS[claims.action]) / 1000),
    nonce: randomBytes(9).toString('base64url'),
  });
}

/** A token for exactly these claims (signLink's last step; tests sign claims we would never issue). */
export function signClaims(secret: string, claims: unknown): string {
  const body = Buffer.from(JSON.stringify(claims)).toString('base64url');
  return `${body}.${mac(secret, body).toString('base64url')}`;
}

export function verifyLink(secret: string, token: unknown, now: Date): LinkVerification {
  if (typeof token !== 'string' || token.length > 1024) return { ok: false, reason: 'malformed' };
  const [body, signature, extra] = token.split('.');
  if (!body || !signature || extra !== undefined) return { ok: false, reason: 'malformed' };
  // Base64 decoders forgive a lot (padding, the other alphabet, stray characters, unused low bits),
  // so many spellings decode to the same bytes. Only the one spelling we issue is accepted: decode,
  // re-encode and require an exact match, or a used single-use link could be used again.
  if (!isCanonicalBase64url(body) || !isCanonicalBase64url(signature)) return { ok: false, reason: 'malformed' };
  const expected = mac(secret, body);
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'bad_signature' };
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  // A valid signature proves we issued the token only while the secret is ours alone: the claims
  // are still checked for the shape we issue, so no claim can reach the database (or a Date) as
  // something it cannot hold.
  const claims = shapedClaims(decoded, now);
  if (!claims) return { ok: false, reason: 'malformed' };
  if (claims.exp * 1000 <= now.getTime()) return { ok: false, reason: 'expired' };
  return { ok: true, claims, useKey: useKey(body, signature) };
}

const CLAIM_KEYS = new Set(['action', 'userId', 'botId', 'channelId', 'address', 'kind', 'invitationId', 'exp', 'nonce']);
/** The longest address a contact may have (RFC 5321's path limit). */
const MAX_ADDRESS_LENGTH = 254;
/** Issuing instances may run a little ahead of this one; no link lives longer than this past now. */
const CLOCK_SLACK_MS = 86_400_000;
const LONGEST_LIFETIME_MS = Math.max(...Object.values(LINK_LIFETIME_MS)) + CLOCK_SLACK_MS;
const NONCE = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * The claims, when they have exactly the shape signLink issues: a known action, UUID ids (a mute
 * link names its bot), an expiry in whole seconds no further ahead than the longest link lifetime,
 * a base64url nonce, and no other key.
 */
function shapedClaims(value: unknown, now: Date): LinkClaims | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const claims = value as Record<string, unknown>;
  if (!Object.keys(claims).every((key) => CLAIM_KEYS.has(key))) return undefined;
  const { action, userId, botId, channelId, address, kind, invitationId, exp, nonce } = claims;
  if (!ACTIONS.includes(action)) return undefined;
  if (typeof userId !== 'string' || !isUuid(userId)) return undefined;
  if (botId !== undefined && (typeof botId !== 'string' || !isUuid(botId))) return undefined;
  if (action === 'mute' && botId === undefined) return undefined;
  if (channelId !== undefined && (typeof channelId !== 'string' || !isUuid(channelId))) return undefined;
  if (address !== undefined && (typeof address !== 'string' || address.length > MAX_ADDRESS_LENGTH || hasControlCharacters(address))) return undefined;
  if ((action === 'verify_contact') !== (channelId !== undefined && address !== undefined)) return undefined;
  if ((action === 'attention_off') !== (kind !== undefined)) return undefined;
  if (kind !== undefined && !(ATTENTION_KINDS as readonly unknown[]).includes(kind)) return undefined;
  if ((action === 'accept_invitation') !== (typeof invitationId === 'string' && isUuid(invitationId))) return undefined;
  if (typeof exp !== 'number' || !Number.isSafeInteger(exp) || exp <= 0 || exp * 1000 > now.getTime() + LONGEST_LIFETIME_MS) return undefined;
  if (typeof nonce !== 'string' || !NONCE.test(nonce)) return undefined;
  return {
    action: action as LinkAction,
    userId,
    ...(botId === undefined ? {} : { botId }),
    ...(channelId === undefined ? {} : { channelId: channelId as string, address: address as string }),
    ...(kind === undefined ? {} : { kind: kind as AttentionKind }),
    ...(invitationId === undefined ? {} : { invitationId: invitationId as string }),
    exp,
    nonce,
  };
}

function isCanonicalBase64url(part: string): boolean {
  return Buffer.from(part, 'base64url').toString('base64url') === part;
}

/**
 * Single use is keyed on the decoded content: the SHA-256 of the canonical re-encoding of the
 * token's bytes. Only canonical tokens verify, so this equals tokenHash(token) for every token we
 * issued (links used before this check keep their recorded use).
 */
function useKey(body: string, signature: string): string {
  const canonical = `${Buffer.from(body, 'base64url').toString('base64url')}.${Buffer.from(signature, 'base64url').toString('base64url')}`;
  return tokenHash(canonical);
}

/** What single-use links are remembered by (never the token itself). */
export function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
