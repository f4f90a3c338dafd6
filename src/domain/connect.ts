// The rules of one-click connect (docs/contract.md "Connect"), as pure functions: no I/O, `now`
// always passed in.
import { parseSiteUrl, type Parsed } from './heartbeat-input.ts';

/** How long an approval's code may be exchanged for a token. */
export const CONNECT_CODE_TTL_MS = 10 * 60_000;

/** The plugin's random state: 16 to 128 characters of base64url or hex. */
const STATE = /^[A-Za-z0-9_-]{16,128}$/;
/** The codes this service issues (32 random bytes, base64url), a little wider. */
const CODE = /^[A-Za-z0-9_-]{32,128}$/;

export interface ConnectRequest {
  siteUrl: string;
  returnUrl: string;
  state: string;
}

/**
 * The three query fields of GET /connect (and the approval form): a site URL as a heartbeat would
 * send it, a return URL on that site's origin, and the plugin's state.
 */
export function parseConnectRequest(input: { site_url?: unknown; return_url?: unknown; state?: unknown }): Parsed<ConnectRequest> {
  const site = parseSiteUrl(input.site_url);
  if (!site.ok) return site;
  if (typeof input.return_url !== 'string' || input.return_url === '') return { ok: false, message: 'return_url is required' };
  const returned = parseSiteUrl(input.return_url, 'return_url');
  if (!returned.ok) return returned;
  if (new URL(returned.value).origin !== new URL(site.value).origin) {
    return { ok: false, message: `return_url must be on the site's own origin (${new URL(site.value).origin})` };
  }
  if (typeof input.state !== 'string' || !STATE.test(input.state)) {
    return { ok: false, message: 'state must be 16 to 128 letters, digits, "-" or "_"' };
  }
  return { ok: true, value: { siteUrl: site.value, returnUrl: returned.value, state: input.state } };
}

/** return_url with `fields` appended (its own query kept): where the approval page sends the browser back. */
export function connectReturn(returnUrl: string, fields: Record<string, string>): string {
  const url = new URL(returnUrl);
  for (const [name, value] of Object.entries(fields)) url.searchParams.set(name, value);
  return url.href;
}

export function isConnectCodeShape(value: unknown): value is string {
  return typeof value === 'string' && CODE.test(value);
}

/** A stored code, as far as the rules need it. */
export interface StoredCode {
  site_url: string;
  expires_at: Date;
  used_at: Date | null;
}

/** Why a code cannot be exchanged for `siteUrl` at `now`, or undefined when it can. */
export function codeRefusal(code: StoredCode | undefined, siteUrl: string, now: Date): string | undefined {
  if (!code) return 'Unknown connect code: start again from the plugin\'s "Connect to AgentDesk" button';
  if (code.used_at) return 'This connect code was already used: start again from the plugin\'s "Connect to AgentDesk" button';
  if (code.expires_at.getTime() <= now.getTime()) return 'This connect code has expired (codes last 10 minutes): start again from the plugin';
  if (code.site_url !== siteUrl) return 'This connect code was issued for another site';
  return undefined;
}

/** A new bot's name for a site: its host (and path, for a site in a folder). */
export function botNameForSite(siteUrl: string): string {
  const url = new URL(siteUrl);
  const path = url.pathname.replace(/\/+$/, '');
  return `${url.host}${path}`.slice(0, 100);
}
