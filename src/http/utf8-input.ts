// Text arrives as UTF-8 or is refused. Buffer#toString() and Fastify's own body readers replace
// every invalid byte sequence with U+FFFD, so "\xff\xfe" in a site URL or an overlong "\xc0\xaf"
// in a bot name would be stored as text the client never sent. Here:
//
//  1. JSON and form bodies are decoded with a fatal UTF-8 decoder: a body that is not UTF-8 is a
//     400 saying so, before any field is read.
//  2. Percent-escapes in a form body or a query string must spell UTF-8 too (`name=%C0%AF`): a
//     400 naming the field or query parameter.
//  3. Lone surrogates, which JSON escapes can still produce ("\ud800"), are refused per field by
//     the shared text rule (src/domain/text.ts) in the route schemas and the domain checks.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { parse as parseQuery } from 'fast-querystring';
import { AppError } from '../errors.ts';

const strict = new TextDecoder('utf-8', { fatal: true });

export const BODY_NOT_UTF8 = 'The request body is not valid UTF-8';

/** The bytes as text, or undefined when they are not UTF-8 (an invalid, overlong or surrogate sequence). */
export function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return strict.decode(bytes);
  } catch {
    return undefined;
  }
}

const HEX = /^[0-9A-Fa-f]{2}$/;

/**
 * Whether one urlencoded component's escapes spell UTF-8. `charsAreBytes`: the text is a request
 * line, which Node reads byte by byte (latin1), so each character is one raw byte.
 */
function componentIsUtf8(component: string, charsAreBytes: boolean): boolean {
  if (!component.includes('%') && (!charsAreBytes || !/[^\x00-\x7f]/.test(component))) return true;
  const bytes: number[] = [];
  for (let i = 0; i < component.length; i++) {
    const char = component[i]!;
    if (char === '%' && HEX.test(component.slice(i + 1, i + 3))) {
      bytes.push(Number.parseInt(component.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (charsAreBytes) {
      bytes.push(char.charCodeAt(0) & 0xff);
    } else {
      // A literal character of an already decoded body: its own UTF-8 bytes (a pair stays a pair).
      const codePoint = component.codePointAt(i)!;
      if (codePoint > 0xffff) i++;
      bytes.push(...Buffer.from(String.fromCodePoint(codePoint), 'utf8'));
    }
  }
  return decodeUtf8(Uint8Array.from(bytes)) !== undefined;
}

/** A field name fit for a message: decoded where possible, printable, short. */
function printableName(rawKey: string): string {
  let name = rawKey.replace(/\+/g, ' ');
  try {
    name = decodeURIComponent(name);
  } catch {
    // an undecodable name is shown as sent
  }
  return name.replace(/[\u0000-\u001f\u007f\ud800-\udfff]/g, '?').slice(0, 100);
}

/**
 * The first field (form) or parameter (query string) whose name or value does not spell UTF-8,
 * or undefined when all do.
 */
export function firstNonUtf8Field(urlencoded: string, { charsAreBytes = false } = {}): string | undefined {
  for (const pair of urlencoded.split('&')) {
    const eq = pair.indexOf('=');
    const key = eq === -1 ? pair : pair.slice(0, eq);
    const value = eq === -1 ? '' : pair.slice(eq + 1);
    if (!componentIsUtf8(key, charsAreBytes) || !componentIsUtf8(value, charsAreBytes)) return printableName(key);
  }
  return undefined;
}

/** Rule 1 for JSON, on the instance whose routes it covers (the root: every JSON route). */
export function registerUtf8JsonParser(app: FastifyInstance) {
  const parseJson = app.getDefaultJsonParser(app.initialConfig.onProtoPoisoning ?? 'error', app.initialConfig.onConstructorPoisoning ?? 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    const text = decodeUtf8(body as Buffer);
    if (text === undefined) return done(new AppError(400, BODY_NOT_UTF8), undefined);
    parseJson(request, text, done);
  });
}

/**
 * Rules 1 and 2 for urlencoded forms, in place of @fastify/formbody (whose parser decodes with
 * Buffer#toString()): the same fast-querystring parse once the body is known to be UTF-8.
 */
export function registerUtf8FormParser(app: FastifyInstance) {
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'buffer' }, (_request, body, done) => {
    const text = decodeUtf8(body as Buffer);
    if (text === undefined) return done(new AppError(400, BODY_NOT_UTF8), undefined);
    const bad = firstNonUtf8Field(text);
    if (bad !== undefined) return done(new AppError(400, `The field "${bad}" is not valid UTF-8`), undefined);
    done(null, parseQuery(text));
  });
}

/**
 * Rule 2 for query strings, as a preValidation hook on the root: before any schema or handler reads
 * the query, and after the cookie and session hooks, so the refusal can be a dashboard page.
 * (fast-querystring keeps an undecodable value as sent, so nothing was lost by waiting.)
 */
export function refuseNonUtf8QueryStrings(app: FastifyInstance) {
  app.addHook('preValidation', (request: FastifyRequest, _reply, done) => {
    const url = request.raw.url ?? '';
    const at = url.indexOf('?');
    if (at === -1) return done();
    const bad = firstNonUtf8Field(url.slice(at + 1), { charsAreBytes: true });
    if (bad === undefined) return done();
    done(new AppError(400, `The query parameter "${bad}" is not valid UTF-8`));
  });
}
