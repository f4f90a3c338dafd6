// The only reader of process.env. Every variable is validated once at start; a bad value stops the
// process with a message naming the variable and what it expects (see README "Configuration").
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';
import cron from 'node-cron';
import { parseDuration } from './domain/duration.ts';
import { redact } from './domain/redact.ts';
import { DEFAULT_FLIP_BATCH } from './domain/alert-rules.ts';
import { parseEmail } from './domain/email-address.ts';
import { parseSigningSeed } from './plugin/plugin-signing.ts';

export type SignupMode = 'open' | 'verify' | 'closed';
import { DEFAULT_QUOTAS, QUOTA_SETTINGS, type Quotas } from './domain/quotas.ts';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** Where a legal page (/terms, /privacy) comes from: the built-in text, the operator's HTML, or their own page. */
export type LegalPage =
  | { readonly source: 'default' }
  | { readonly source: 'file'; readonly path: string; readonly html: string }
  | { readonly source: 'url'; readonly url: string };

export interface Config {
  readonly port: number;
  readonly host: string;
  /** PostgreSQL connection string; when absent the service runs an embedded PostgreSQL under dataDir/postgres. */
  readonly databaseUrl: string | undefined;
  readonly databasePoolSize: number;
  /**
   * Named (prepared) statements: on, off, or auto (on unless a connection pooler answers instead of
   * PostgreSQL itself; docs/SCALING.md).
   */
  readonly databasePrepared: 'auto' | 'on' | 'off';
  readonly dataDir: string;
  readonly publicUrl: string;
  readonly logLevel: LogLevel;
  /** Global stale threshold (a bot's own grace is added to it). */
  readonly staleAfterMs: number;
  /** Heartbeats accepted per token per minute. */
  readonly heartbeatRateLimit: number;
  /** Heartbeat batches written at once (group commit, src/heartbeats/write-batcher.ts). */
  readonly heartbeatWriteConcurrency: number;
  /** Secret for signed links and sessions; when absent one is generated and kept in the database. */
  readonly secretKey: string | undefined;
  /** Ed25519 seed (base64, 32 bytes) signing the plugin's updates; when absent one is generated and kept in the database. */
  readonly pluginSigningKey: string | undefined;
  /**
   * Which X-Forwarded-* hops to believe: false (none), a hop count (the nearest N proxies), a list
   * of proxy addresses/CIDRs, or true (every hop: only when nothing but the proxy can reach us).
   */
  readonly trustProxy: boolean | number | string[];
  /** Longest time a client may take to send a whole request (headers and body); then 408. */
  readonly requestTimeoutMs: number;
  /** Failed authentications (401s on heartbeats, token checks, the API) allowed per address per window. */
  readonly authFailureLimit: number;
  /** Self sign-up: open, closed (accounts only from the CLI), or verify (log-in after the address confirms a link). */
  readonly signup: SignupMode;
  /** Per-owner limits on bots, weekly maintenance windows and channels (admins exempt). */
  readonly quotas: Quotas;
  readonly metricsToken: string | undefined;
  readonly smtpUrl: string | undefined;
  readonly mailFrom: string;
  readonly operatorEmail: string | undefined;
  /** A newer copy of releases/version-support.json for attention items; unset = the shipped copy only. */
  readonly releasesUrl: string | undefined;
  readonly sweepCron: string;
  readonly alertRepeatMs: number;
  /** How long an owner's stale (or recovery) digest gathers further sites before it is sent; 0 = at the sweep. */
  readonly alertGroupWindowMs: number;
  readonly stormFraction: number;
  readonly stormMin: number;
  /** Bots the sweep flips per transaction: a heartbeat waits for one batch at most. */
  readonly sweepBatch: number;
  /** Nudge and probe a silent site before calling it stale; off = flip at the deadline. */
  readonly probe: boolean;
  /** How long to wait for a heartbeat after the nudge answered. */
  readonly probeConfirmMs: number;
  /** Bound on one probe request, resolution to last byte. */
  readonly probeTimeoutMs: number;
  /** Ports probes (and other outbound requests) may use besides 80 and 443. */
  readonly probePorts: readonly number[];
  /** Probes in flight at once on one instance. */
  readonly probeConcurrency: number;
  /** Lift the outbound address rules (tests and intranet installs only). */
  readonly probeAllowPrivate: boolean;
  /** The terms of use and privacy policy the plugin and the sign-up form link to. */
  readonly legalPages: { readonly terms: LegalPage; readonly privacy: LegalPage };
}

export class ConfigError extends Error {
  constructor(readonly variable: string, value: string, expected: string) {
    super(`Invalid environment variable ${variable}=${JSON.stringify(value)}: expected ${expected}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

/** Reads and validates the configuration; throws ConfigError on the first bad variable. */
export function loadConfig(env: Env = process.env): Config {
  const read = (name: string): string | undefined => {
    const value = env[name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  };

  const integer = (name: string, fallback: number, min: number, max: number): number => {
    const raw = read(name);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!/^\d+$/.test(raw) || !Number.isSafeInteger(value) || value < min || value > max) {
      throw new ConfigError(name, raw, `an integer from ${min} to ${max}`);
    }
    return value;
  };

  const fraction = (name: string, fallback: number): number => {
    const raw = read(name);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!/^\d*\.?\d+$/.test(raw) || !(value > 0 && value <= 1)) {
      throw new ConfigError(name, raw, 'a number greater than 0 and at most 1, such as 0.5');
    }
    return value;
  };

  const duration = (name: string, fallback: string, minMs: number): number => {
    const raw = read(name) ?? fallback;
    const ms = parseDuration(raw);
    if (ms === null || ms < minMs) {
      throw new ConfigError(name, raw, `a duration of at least ${minMs / 1000}s such as "90s", "10m", "1h" or "7d"`);
    }
    return ms;
  };

  // 0 keeps the per-sweep digest; more than an hour would hold a first alert too long.
  const groupWindow = (): number => {
    const raw = read('ALERT_GROUP_WINDOW');
    if (raw !== undefined && raw.trim() === '0') return 0;
    const ms = duration('ALERT_GROUP_WINDOW', '5m', 0);
    if (ms > 3_600_000) throw new ConfigError('ALERT_GROUP_WINDOW', raw ?? '', 'a duration of at most 1h such as "5m", or 0 to send at the sweep');
    return ms;
  };

  const oneOf = <T extends string>(name: string, allowed: readonly T[], fallback: T): T => {
    const raw = read(name);
    if (raw === undefined) return fallback;
    const value = raw.toLowerCase() as T;
    if (!allowed.includes(value)) throw new ConfigError(name, raw, `one of ${allowed.join(', ')}`);
    return value;
  };

  const boolean = (name: string, fallback: boolean): boolean => {
    const raw = read(name);
    if (raw === undefined) return fallback;
    if (/^(1|true|yes|on)$/i.test(raw)) return true;
    if (/^(0|false|no|off)$/i.test(raw)) return false;
    throw new ConfigError(name, raw, 'true or false');
  };

  const url = (name: string, protocols: readonly string[]): string | undefined => {
    const raw = read(name);
    if (raw === undefined) return undefined;
    let parsed: URL;
    try {
      parsed = new URL(raw);
    } catch {
      throw new ConfigError(name, redact(raw), `a URL starting with ${protocols.join(' or ')}`);
    }
    if (!protocols.includes(parsed.protocol)) {
      throw new ConfigError(name, redact(raw), `a URL starting with ${protocols.join(' or ')}`);
    }
    return raw;
  };

  const email = (name: string): string | undefined => {
    const raw = read(name);
    if (raw === undefined) return undefined;
    const parsed = parseEmail(raw, name);
    if (!parsed.ok) throw new ConfigError(name, raw, `an email address (${parsed.message})`);
    return parsed.value;
  };

  const portList = (name: string): number[] => {
    const raw = read(name);
    if (raw === undefined) return [];
    const ports = raw.split(',').map((part) => part.trim());
    if (!ports.every((p) => /^\d+$/.test(p) && Number(p) >= 1 && Number(p) <= 65535)) {
      throw new ConfigError(name, raw, 'a comma-separated list of ports from 1 to 65535, such as "8080,8443"');
    }
    return [...new Set(ports.map(Number))];
  };

  // The operator's own text is read here, once: a missing or unreadable file stops the start
  // instead of failing the first reader. A file and an address together would be ambiguous.
  const legalPage = (prefix: 'TERMS' | 'PRIVACY'): LegalPage => {
    const fileVariable = `${prefix}_FILE`;
    const address = url(`${prefix}_URL`, ['http:', 'https:']);
    const file = read(fileVariable);
    if (address !== undefined && file !== undefined) {
      throw new ConfigError(fileVariable, file, `to be unset while ${prefix}_URL is set: one or the other`);
    }
    if (address !== undefined) return { source: 'url', url: address };
    if (file === undefined) return { source: 'default' };
    let html: string;
    try {
      html = readFileSync(path.resolve(file), 'utf8');
    } catch (error) {
      throw new ConfigError(fileVariable, file, `a readable file holding an HTML fragment (${(error as NodeJS.ErrnoException).code ?? 'unreadable'})`);
    }
    if (html.trim() === '') throw new ConfigError(fileVariable, file, 'a file holding an HTML fragment, not an empty one');
    return { source: 'file', path: path.resolve(file), html };
  };

  const port = integer('PORT', 3000, 0, 65535);
  const host = read('HOST') ?? '127.0.0.1';
  if (!/^[A-Za-z0-9.:\-\[\]]+$/.test(host)) throw new ConfigError('HOST', host, 'a host name or IP address such as 127.0.0.1 or 0.0.0.0');

  const publicUrlRaw = url('PUBLIC_URL', ['http:', 'https:']);
  const displayHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  const publicUrl = (publicUrlRaw ?? `http://${displayHost.includes(':') ? `[${displayHost}]` : displayHost}:${port}`).replace(/\/+$/, '');

  const secretKey = read('SECRET_KEY');
  if (secretKey !== undefined && secretKey.length < 32) {
    throw new ConfigError('SECRET_KEY', '(hidden)', 'at least 32 characters of random text');
  }

  const pluginSigningKey = read('PLUGIN_SIGNING_KEY');
  if (pluginSigningKey !== undefined && !parseSigningSeed(pluginSigningKey)) {
    throw new ConfigError('PLUGIN_SIGNING_KEY', '(hidden)', 'an Ed25519 seed: 32 random bytes in base64, such as the output of `openssl rand -base64 32`');
  }

  const sweepCron = read('SWEEP_CRON') ?? '* * * * *';
  const cronFields = sweepCron.split(/\s+/).length;
  // The only check of SWEEP_CRON: the alert jobs schedule it as given.
  if (cronFields < 5 || cronFields > 6 || !cron.validate(sweepCron)) {
    throw new ConfigError('SWEEP_CRON', sweepCron, 'a cron expression with 5 fields, or 6 with seconds first, such as "* * * * *"');
  }

  return Object.freeze({
    port,
    host,
    databaseUrl: url('DATABASE_URL', ['postgres:', 'postgresql:']),
    databasePoolSize: integer('DATABASE_POOL_SIZE', 10, 1, 1000),
    databasePrepared: oneOf('DATABASE_PREPARED', ['auto', 'on', 'off'] as const, 'auto'),
    dataDir: path.resolve(read('DATA_DIR') ?? './data'),
    publicUrl,
    logLevel: oneOf<LogLevel>('LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'info'),
    staleAfterMs: duration('STALE_AFTER', '10m', 1000),
    heartbeatRateLimit: integer('HEARTBEAT_RATE_LIMIT', 30, 1, 1_000_000),
    heartbeatWriteConcurrency: integer('HEARTBEAT_WRITE_CONCURRENCY', 1, 1, 64),
    secretKey,
    pluginSigningKey,
    trustProxy: trustProxy(read('TRUST_PROXY')),
    requestTimeoutMs: duration('REQUEST_TIMEOUT', '30s', 1000),
    authFailureLimit: integer('AUTH_FAILURE_LIMIT', 100, 1, 1_000_000),
    signup: oneOf<SignupMode>('SIGNUP', ['open', 'verify', 'closed'], 'open'),
    quotas: Object.freeze({
      bots: integer(QUOTA_SETTINGS.bots, DEFAULT_QUOTAS.bots, 1, 1_000_000),
      schedules: integer(QUOTA_SETTINGS.schedules, DEFAULT_QUOTAS.schedules, 1, 100_000),
      channels: integer(QUOTA_SETTINGS.channels, DEFAULT_QUOTAS.channels, 1, 100_000),
      clients: integer(QUOTA_SETTINGS.clients, DEFAULT_QUOTAS.clients, 1, 100_000),
    }),
    metricsToken: read('METRICS_TOKEN'),
    smtpUrl: url('SMTP_URL', ['smtp:', 'smtps:']),
    mailFrom: read('MAIL_FROM') ?? 'AgentDesk <alerts@agentdesk.localhost>',
    operatorEmail: email('OPERATOR_EMAIL'),
    releasesUrl: url('RELEASES_URL', ['http:', 'https:']),
    sweepCron,
    alertRepeatMs: duration('ALERT_REPEAT', '24h', 60_000),
    alertGroupWindowMs: groupWindow(),
    stormFraction: fraction('STORM_FRACTION', 0.5),
    stormMin: integer('STORM_MIN', 20, 1, 1_000_000_000),
    sweepBatch: integer('SWEEP_BATCH', DEFAULT_FLIP_BATCH, 1, 100_000),
    probe: boolean('PROBE', true),
    probeConfirmMs: duration('PROBE_CONFIRM', '2m', 1000),
    probeTimeoutMs: duration('PROBE_TIMEOUT', '10s', 100),
    probePorts: Object.freeze(portList('PROBE_PORTS')),
    probeConcurrency: integer('PROBE_CONCURRENCY', 20, 1, 1000),
    probeAllowPrivate: boolean('PROBE_ALLOW_PRIVATE', false),
    legalPages: Object.freeze({ terms: legalPage('TERMS'), privacy: legalPage('PRIVACY') }),
  });
}

const PROXY_NAMES = ['loopback', 'linklocal', 'uniquelocal'];

/** TRUST_PROXY: true/false, a hop count, or a comma-separated list of addresses, CIDRs or names. */
function trustProxy(raw: string | undefined): boolean | number | string[] {
  if (raw === undefined || /^(false|no|off|0)$/i.test(raw)) return false;
  if (/^(true|yes|on)$/i.test(raw)) return true;
  if (/^\d+$/.test(raw) && Number(raw) <= 100) return Number(raw);
  const entries = raw.split(',').map((entry) => entry.trim()).filter(Boolean);
  const valid = (entry: string) => {
    if (PROXY_NAMES.includes(entry.toLowerCase())) return true;
    const [address, prefix, extra] = entry.split('/');
    const family = isIP(address ?? '');
    if (!family || extra !== undefined) return false;
    return prefix === undefined || (/^\d+$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128));
  };
  if (entries.length === 0 || !entries.every(valid)) {
    throw new ConfigError(
      'TRUST_PROXY',
      raw,
      'false, a hop count such as 1, a comma-separated list of proxy addresses or CIDRs such as 10.0.0.5,172.16.0.0/12 (or loopback, linklocal, uniquelocal), or true to trust every hop',
    );
  }
  return entries;
}
