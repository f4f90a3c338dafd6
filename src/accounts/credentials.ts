// Secrets the service hands out (bot tokens, widget keys, API keys) and password hashing.
// Tokens carry 256 random bits, so a plain SHA-256 is a safe lookup key: the database never holds
// anything that authenticates, and lookups by hash do not leak timing about the token itself.
import * as nodeCrypto from 'node:crypto';
import { createHash, randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

export interface IssuedSecret {
  /** The full secret: shown once, never stored. */
  value: string;
  hash: string;
  /** Short, non-secret beginning shown in lists ("bot_Ab3dE…"). */
  prefix: string;
}

// crypto.hash (Node ≥ 20.12) hashes in one call, without a Hash object: a third of createHash's
// CPU, on a path every heartbeat takes (docs/SCALING.md "CPU per heartbeat").
const sha256Hex: (value: string) => string =
  typeof nodeCrypto.hash === 'function' ? (value) => nodeCrypto.hash('sha256', value, 'hex') : (value) => createHash('sha256').update(value, 'utf8').digest('hex');

export function hashSecret(value: string): string {
  return sha256Hex(value);
}

function issue(kind: 'bot' | 'adk' | 'stp'): IssuedSecret {
  const value = `${kind}_${randomBytes(32).toString('base64url')}`;
  return { value, hash: hashSecret(value), prefix: value.slice(0, kind.length + 7) };
}

export const issueBotToken = (): IssuedSecret => issue('bot');
export const issueApiKey = (): IssuedSecret => issue('adk');
/** The secret in a client's status page link (docs/clients.md): whoever has the link may read the page. */
export const issueStatusPageKey = (): IssuedSecret => issue('stp');
export const isStatusPageKeyShape = (value: string): boolean => /^stp_[A-Za-z0-9_-]{43}$/.test(value);

/** Public key for the chat widget and the public config endpoint: safe to print into page HTML. */
export function issueWidgetKey(): string {
  return `pub_${randomBytes(16).toString('base64url')}`;
}

// The shapes of what is issued above, a little wider than what is issued today (longer values
// may come later): a value of another shape is refused before any hashing or database lookup.
const BOT_TOKEN = /^bot_[A-Za-z0-9_\-]{16,200}$/;
const API_KEY = /^adk_[A-Za-z0-9_\-]{16,200}$/;
const WIDGET_KEY = /^pub_[A-Za-z0-9_\-]{10,64}$/;

export const isBotTokenShape = (value: string): boolean => BOT_TOKEN.test(value);
export const isApiKeyShape = (value: string): boolean => API_KEY.test(value);
export const isWidgetKeyShape = (value: string): boolean => WIDGET_KEY.test(value);

const SCRYPT = { N: 16384, r: 8, p: 1, keyLength: 32 };

function scryptAsync(password: string, salt: Buffer, keyLength: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password, salt, keyLength, options, (error, key) => (error ? reject(error) : resolve(key))),
  );
}

/** scrypt with a per-user salt, stored as scrypt$N$r$p$salt$hash so parameters can grow later. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(password, salt, SCRYPT.keyLength, { N: SCRYPT.N, r: SCRYPT.r, p: SCRYPT.p });
  return ['scrypt', SCRYPT.N, SCRYPT.r, SCRYPT.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const actual = await scryptAsync(password, Buffer.from(salt, 'base64url'), expected.length, {
    N: Number(n),
    r: Number(r),
    p: Number(p),
  });
  return timingSafeEqual(actual, expected);
}
