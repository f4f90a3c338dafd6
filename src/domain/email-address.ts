// The one rule for email addresses: accounts (sign-up, log-in, the CLI), OPERATOR_EMAIL and email
// contacts all read an address through parseEmail, so two spellings of one mailbox are one address
// and an address that only looks like another is refused (docs/architecture.md "Email addresses").
//
// 1. Control characters (C0, DEL, C1) are refused: they have no place in an address.
// 2. Invisible characters (zero-width spaces and joiners, word joiner, BOM, soft hyphen, bidi
//    marks) are refused too, not stripped: what is stored is then exactly what the person sees,
//    and a paste accident is reported instead of silently becoming another string.
// 3. NFKC: full-width and other compatibility forms become their plain letters ("ａ" → "a",
//    "＠" → "@"), so they cannot make a second account that looks like the first.
// 4. Lower case, the local part included: the service always stored addresses lower-cased (the
//    users table checks email = lower(email)), and no mail provider we deliver to treats the local
//    part's case as a different mailbox.
// 5. One trailing dot of the domain is dropped ("example.com." is the same host); the domain must
//    be dot-separated labels without empty ones.
// emailKey() is steps 2-5 without refusing (invisible characters removed): the form under which
// addresses are compared, also in SQL as email_key() (sql/170_email_normalization.sql), which
// found the look-alikes stored before this rule existed.

import { hasLoneSurrogates, NOT_UNICODE } from './text.ts';

export const MAX_EMAIL_LENGTH = 254;

const CONTROLS = /[\u0000-\u001F\u007F-\u009F]/;
/** Characters that render as nothing: written once for the check, the key and its SQL twin. */
export const INVISIBLE_RANGES = '\\u00AD\\u034F\\u061C\\u115F\\u1160\\u17B4\\u17B5\\u180B-\\u180F\\u200B-\\u200F\\u202A-\\u202E\\u2060-\\u206F\\u3164\\uFE00-\\uFE0F\\uFEFF\\uFFA0';
const INVISIBLE = new RegExp(`[${INVISIBLE_RANGES}]`);
const INVISIBLE_ALL = new RegExp(`[${INVISIBLE_RANGES}]`, 'g');
// No spaces, quotes, brackets or separators anywhere; exactly one @.
const SHAPE = /^[^\s@<>()"',;:\\[\]]+@[^\s@<>()"',;:\\[\]]+$/;

export type ParsedEmail = { ok: true; value: string } | { ok: false; message: string };

/** The comparison form: invisible characters removed, NFKC, lower case, no trailing dot, trimmed. */
export function emailKey(raw: string): string {
  const plain = simpleLowerCase(raw.replace(INVISIBLE_ALL, '').normalize('NFKC')).normalize('NFKC').replace(/^ +| +$/g, '');
  return plain.endsWith('.') ? plain.slice(0, -1) : plain;
}

/**
 * Lower case one character at a time, as PostgreSQL's lower() does: String#toLowerCase applies
 * context rules (a final "Σ" becomes "ς") and turns "İ" into two characters, and the SQL twin
 * would then find a different key.
 */
function simpleLowerCase(value: string): string {
  return Array.from(value, (ch) => (ch === '\u0130' ? 'i' : ch.toLowerCase())).join('');
}

/** An address as typed (by `field`) → its stored form, or the message of a 400 naming the field. */
export function parseEmail(raw: unknown, field = 'email', sample = 'owner@example.com'): ParsedEmail {
  const example = `${field} must be an email address such as ${sample}`;
  if (typeof raw !== 'string' || raw.trim() === '') return { ok: false, message: `${field} is required` };
  if (hasLoneSurrogates(raw)) return { ok: false, message: `${field} ${NOT_UNICODE}` };
  if (CONTROLS.test(raw)) return { ok: false, message: `${field} must not contain control characters` };
  if (INVISIBLE.test(raw)) return { ok: false, message: `${field} must not contain invisible characters such as zero-width spaces` };
  const value = emailKey(raw.trim());
  if (value.length > MAX_EMAIL_LENGTH) return { ok: false, message: `${field} must be at most ${MAX_EMAIL_LENGTH} characters` };
  if (!SHAPE.test(value)) return { ok: false, message: example };
  const domain = value.slice(value.indexOf('@') + 1);
  if (domain.split('.').some((label) => label === '') || !domain.includes('.')) return { ok: false, message: example };
  return { ok: true, value };
}
