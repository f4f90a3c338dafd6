// Outbound HTTP to addresses that users supply (site probes, webhooks and Slack; docs/alerts.md "Nudge and probe").
// Whoever holds a bot token chooses the URL, so every request is fenced against request forgery:
//
//  1. The URL must be http or https, without credentials, on port 80, 443 or a configured extra port.
//  2. The host is resolved once. If any address it resolves to is not global unicast (loopback,
//     private, CGNAT, link-local such as 169.254.169.254, unique-local, multicast, unspecified,
//     broadcast, reserved, IPv6 forms that embed an IPv4 address), nothing is connected at all.
//     The ranges come from ipaddr.js where it has them (see forbiddenAddressReason). The refusal
//     names the rule, never the address a name resolved to.
//  3. The connection goes to the address that was checked (a custom `lookup` hands it to node:http),
//     so a second DNS answer cannot swap in another one; Host and TLS SNI still name the host.
//  4. No redirect is followed (a 3xx is an answer like any other), at most `maxBodyBytes` are read,
//     and one timer bounds the whole request, resolution included.
// `allowPrivate` (PROBE_ALLOW_PRIVATE, for tests and intranets) lifts rule 2 only.
// Outcomes are values, not exceptions: the caller turns them into a diagnosis in words.
import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import ipaddr from 'ipaddr.js';

export const DEFAULT_MAX_BODY_BYTES = 64 * 1024;
export const STANDARD_PORTS = [80, 443] as const;

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Resolves a host name to every address it has (tests inject their own). */
export type Resolver = (hostname: string) => Promise<ResolvedAddress[]>;

export const systemResolver: Resolver = async (hostname) => {
  const answers = await dns.promises.lookup(hostname, { all: true, verbatim: true });
  return answers.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
};

export interface SafeRequestSettings {
  /** Lift the address rule (tests, intranet installs). Off by default. */
  allowPrivate: boolean;
  /** Ports allowed besides 80 and 443. */
  extraPorts: readonly number[];
  /** Bound on the whole request: resolution, connection, headers and body. */
  timeoutMs: number;
  userAgent: string;
  maxBodyBytes?: number;
  resolve?: Resolver;
}

export interface SafeRequestInit {
  method?: 'GET' | 'HEAD' | 'POST';
  headers?: Record<string, string>;
  body?: string | Buffer;
}

/** Why a request was not even attempted. */
export type RefusalReason = 'bad_url' | 'scheme' | 'credentials' | 'port' | 'address';
/** Why an attempted request got no HTTP answer. */
export type FailureReason = 'dns' | 'refused' | 'timeout' | 'tls' | 'reset' | 'unreachable' | 'other';

export type SafeOutcome =
  | { kind: 'refused'; reason: RefusalReason; message: string }
  | { kind: 'failed'; reason: FailureReason; message: string; address?: string }
  | {
      kind: 'response';
      status: number;
      headers: http.IncomingHttpHeaders;
      body: Buffer;
      /** The body was longer than maxBodyBytes and was cut there. */
      truncated: boolean;
      address: string;
    };

/**
 * The User-Agent of every outbound request: names AgentDesk and, as crawlers do, the page that says
 * why a site is requested (the privacy page's section on probes, src/dashboard/legal-pages.ts).
 */
export function outboundUserAgent(version: string, publicUrl: string): string {
  return `AgentDesk-Probe/${version} (+${publicUrl}/privacy#probe)`;
}

/**
 * Which rule refuses this address, in words, or undefined when it is global unicast. The words
 * name the rule only, never the address: a refusal must not tell an owner what an internal name
 * resolves to (docs/RELIABILITY.md, "outbound fence").
 *
 *  1. IPv4, and IPv4-mapped IPv6 (::ffff:0:0/96, unwrapped by `process()`): global unicast only.
 *  2. IPv6 forms that carry an IPv4 address (IPv4-compatible ::/96, NAT64 64:ff9b::/96 and
 *     64:ff9b:1::/48, 6to4 2002::/16, Teredo 2001::/32, IPv4-translated ::ffff:0:0:0/96): refused
 *     whatever they embed. A site with a public IPv4 address is requested at that address; through
 *     one of these forms a request could reach the embedded address by a translator or relay. When
 *     the embedded IPv4 is itself refused, its rule is the one named.
 *  3. Other IPv6: global unicast only, inside 2000::/3 (the IANA global unicast block), so
 *     reserved space such as the rest of ::/8 is refused too.
 */
export function forbiddenAddressReason(address: string): string | undefined {
  if (!ipaddr.isValid(address)) return 'the address is not an IP address';
  const parsed = ipaddr.process(canonicalIp(address));
  if (parsed.kind() === 'ipv4') return ipv4Refusal(parsed as ipaddr.IPv4);
  const v6 = parsed as ipaddr.IPv6;
  const form = embeddedIpv4Form(v6);
  if (form) {
    const embedded = form.embedded ? ipv4Range(form.embedded) : undefined;
    return embedded ? `the address embeds an IPv4 address that is ${embedded}` : `the address is in the ${form.words} range`;
  }
  const range = v6.range();
  if (range !== 'unicast') return `the address is ${rangeWords(range)}`;
  if (!v6.match(GLOBAL_UNICAST_V6)) return 'the address is outside the IPv6 global unicast range';
  return undefined;
}

/**
 * The address as the socket layer reads it. ipaddr.js parses the dotted IPv6 text form `::a.b.c.d`
 * as IPv4-mapped (::ffff:a.b.c.d), while Node and the URL parser read it as IPv4-compatible
 * (::a.b.c.d, the address connected to): so IPv6 text is first rewritten by the WHATWG URL parser
 * into hexadecimal groups (`::7f00:1`).
 */
function canonicalIp(address: string): string {
  if (!net.isIPv6(address)) return address;
  try {
    return new URL(`http://[${address}]/`).hostname.slice(1, -1);
  } catch {
    return address; // a zone index (fe80::1%eth0): link-local either way
  }
}

function ipv4Refusal(address: ipaddr.IPv4): string | undefined {
  const words = ipv4Range(address);
  return words && `the address is ${words}`;
}

/** Where a refused IPv4 address lies, in words ("in a private range"), or undefined for global unicast. */
function ipv4Range(address: ipaddr.IPv4): string | undefined {
  const range = address.range();
  return range === 'unicast' ? undefined : rangeWords(range);
}

const rangeWords = (range: string) => RANGE_WORDS[range] ?? `in a reserved range (${range})`;

const GLOBAL_UNICAST_V6 = ipaddr.IPv6.parseCIDR('2000::/3');
// ipaddr.js has no class for IPv4-compatible addresses (deprecated by RFC 4291); :: and ::1 inside
// it keep their own classes (unspecified, loopback).
const IPV4_COMPATIBLE = ipaddr.IPv6.parseCIDR('::/96');

/** The IPv6 forms that embed an IPv4 address (rule 2), and the embedded address where it sits at a fixed place. */
function embeddedIpv4Form(address: ipaddr.IPv6): { words: string; embedded?: ipaddr.IPv4 } | undefined {
  const bytes = address.toByteArray();
  const v4 = (at: number, flip = 0) => new ipaddr.IPv4(bytes.slice(at, at + 4).map((b) => b ^ flip));
  const range = address.range();
  if (range === 'unspecified' || range === 'loopback') return undefined;
  if (address.match(IPV4_COMPATIBLE)) return { words: 'IPv4-compatible', embedded: v4(12) };
  switch (range) {
    case 'rfc6052': // NAT64: the well-known /96 ends in the IPv4 address; the local-use /48 places it by its operator's prefix length.
      return address.parts[2] === 0 ? { words: 'NAT64', embedded: v4(12) } : { words: 'NAT64 local-use' };
    case 'rfc6145':
      return { words: 'IPv4-translated', embedded: v4(12) };
    case '6to4':
      return { words: '6to4', embedded: v4(2) };
    case 'teredo': // the client's address, bit-flipped, in the last 32 bits
      return { words: 'Teredo', embedded: v4(12, 0xff) };
    default:
      return undefined;
  }
}

const RANGE_WORDS: Record<string, string> = {
  loopback: 'in a loopback range',
  private: 'in a private range',
  carrierGradeNat: 'in the carrier-grade NAT range',
  linkLocal: 'in a link-local range',
  uniqueLocal: 'in the unique-local range',
  multicast: 'in a multicast range',
  unspecified: 'the unspecified address',
  broadcast: 'the broadcast address',
  reserved: 'in a reserved range',
  deprecatedSiteLocal: 'in the site-local range',
};

const TLS_CODE = /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|HOSTNAME_MISMATCH)/;

function classifyError(error: NodeJS.ErrnoException): { reason: FailureReason; words: string } {
  const code = error.code ?? '';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_NODATA' || code === 'EAI_FAIL') return { reason: 'dns', words: 'DNS lookup failed' };
  if (code === 'ECONNREFUSED') return { reason: 'refused', words: 'connection refused' };
  if (code === 'ECONNRESET' || code === 'EPIPE') return { reason: 'reset', words: 'connection reset' };
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return { reason: 'unreachable', words: 'host unreachable' };
  if (TLS_CODE.test(code) || /SSL|TLS|certificate/i.test(error.message)) return { reason: 'tls', words: 'TLS error' };
  return { reason: 'other', words: 'request failed' };
}

export function createSafeRequester(settings: SafeRequestSettings) {
  const resolve = settings.resolve ?? systemResolver;
  const maxBodyBytes = settings.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const ports = new Set<number>([...STANDARD_PORTS, ...settings.extraPorts]);

  /** Steps 1 and 2: the address to connect to, or why there is none. */
  async function checkTarget(url: URL, signal: AbortSignal): Promise<SafeOutcome | ResolvedAddress> {
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      return { kind: 'refused', reason: 'scheme', message: `only http and https URLs are requested, not ${url.protocol.replace(/:$/, '')}` };
    }
    if (url.username || url.password) return { kind: 'refused', reason: 'credentials', message: 'URLs with credentials are not requested' };
    const port = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
    if (!ports.has(port)) return { kind: 'refused', reason: 'port', message: `port ${port} is not allowed (80, 443 and PROBE_PORTS only)` };

    const host = url.hostname.replace(/^\[|\]$/g, '');
    let addresses: ResolvedAddress[];
    if (net.isIP(host)) {
      addresses = [{ address: host, family: net.isIPv6(host) ? 6 : 4 }];
    } else {
      try {
        addresses = await Promise.race([resolve(host), aborted(signal)]);
      } catch (error) {
        if (signal.aborted) return timedOut(settings.timeoutMs);
        const err = error as NodeJS.ErrnoException;
        return { kind: 'failed', reason: 'dns', message: `DNS lookup failed for ${host}${err.code ? ` (${err.code})` : ''}` };
      }
      if (addresses.length === 0) return { kind: 'failed', reason: 'dns', message: `DNS lookup for ${host} returned no address` };
    }
    if (!settings.allowPrivate) {
      for (const { address } of addresses) {
        const why = forbiddenAddressReason(address);
        if (why) return { kind: 'refused', reason: 'address', message: why };
      }
    }
    return addresses[0]!;
  }

  return {
    /** One request under the rules above; never throws for anything the network does. */
    async request(rawUrl: string, init: SafeRequestInit = {}): Promise<SafeOutcome> {
      let url: URL;
      try {
        url = new URL(rawUrl);
      } catch {
        return { kind: 'refused', reason: 'bad_url', message: 'not a valid URL' };
      }
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), settings.timeoutMs);
      try {
        const target = await checkTarget(url, controller.signal);
        if ('kind' in target) return target;
        return await send(url, target, init, controller.signal);
      } finally {
        clearTimeout(timer);
      }
    },
  };

  /** Steps 3 and 4. */
  function send(url: URL, target: ResolvedAddress, init: SafeRequestInit, signal: AbortSignal): Promise<SafeOutcome> {
    return new Promise<SafeOutcome>((done) => {
      if (signal.aborted) return done(timedOut(settings.timeoutMs));
      const client = url.protocol === 'https:' ? https : http;
      const request = client.request(
        url,
        {
          method: init.method ?? 'GET',
          headers: { 'user-agent': settings.userAgent, accept: '*/*', ...init.headers },
          // A fresh socket per request: a pooled one could outlive the address check it was made for.
          agent: false,
          // Connect to the checked address only; `all` is asked for when Node races IPv4/IPv6.
          lookup: ((_hostname: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
            if (options?.all) callback(null, [target]);
            else callback(null, target.address, target.family);
          }) as unknown as net.LookupFunction,
          signal,
        },
        (response) => {
          const chunks: Buffer[] = [];
          let size = 0;
          let truncated = false;
          const finish = () =>
            done({ kind: 'response', status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks), truncated, address: target.address });
          response.on('data', (chunk: Buffer) => {
            if (truncated) return;
            const room = maxBodyBytes - size;
            if (chunk.length >= room) {
              if (chunk.length > room) truncated = true;
              chunks.push(chunk.subarray(0, room));
              size = maxBodyBytes;
              if (truncated) {
                // Enough: stop reading an endless body and answer with what we have.
                response.destroy();
                finish();
              }
              return;
            }
            chunks.push(chunk);
            size += chunk.length;
          });
          response.on('end', finish);
          response.on('error', () => {
            if (!truncated) done(signal.aborted ? timedOut(settings.timeoutMs) : { kind: 'failed', reason: 'reset', message: 'connection reset while reading the answer', address: target.address });
          });
          response.on('aborted', () => {
            if (!truncated && signal.aborted) done(timedOut(settings.timeoutMs));
          });
        },
      );
      request.on('error', (error: NodeJS.ErrnoException) => {
        if (signal.aborted) return done(timedOut(settings.timeoutMs));
        const { reason, words } = classifyError(error);
        const where = `${url.hostname}${url.port ? `:${url.port}` : ''}`;
        done({ kind: 'failed', reason, message: `${words} (${where}${error.code ? `, ${error.code}` : ''})`, address: target.address });
      });
      request.end(init.body);
    });
  }
}

export type SafeRequester = ReturnType<typeof createSafeRequester>;

function timedOut(timeoutMs: number): SafeOutcome {
  return { kind: 'failed', reason: 'timeout', message: `no complete answer within ${formatSeconds(timeoutMs)}` };
}

function formatSeconds(ms: number): string {
  const seconds = ms / 1000;
  return `${Number.isInteger(seconds) ? seconds : seconds.toFixed(1)} s`;
}

function aborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(new Error('aborted'));
    signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
  });
}
