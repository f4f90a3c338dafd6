// The WordPress plugin as the service distributes it: its release facts (from its own header and
// readme.txt) and its two builds (docs/wordpress-plugin.md "Builds"), made from the plugin folder:
// - "direct": what the service's download endpoint serves and `npm run build:plugin` writes as
//   dist/agentdesk-chatbot.zip — with the updater and an `Update URI` header;
// - "wporg": the WordPress.org directory build, dist/agentdesk-chatbot-wporg.zip — without the
//   updater's file, the lines that load it, or `Update URI` (directory guideline 8).
// Both carry the service's own API URL as the default, so a plugin talks to the service it came from.
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isIP } from 'node:net';
import { zipSync, type Zippable } from 'fflate';
import { forbiddenAddressReason } from '../outbound/safe-request.ts';
import type { PluginSigningKey } from './plugin-signing.ts';
import { describeRelease, type PluginRelease } from '../domain/plugin-metadata.ts';

export const PLUGIN_SLUG = 'agentdesk-chatbot';
/** The repository's wordpress-plugin/ folder. */
export const DEFAULT_PLUGIN_DIR = fileURLToPath(new URL('../../wordpress-plugin/', import.meta.url));
/** The updater, which only the direct build ships. */
export const UPDATER_FILE = 'includes/class-agentdesk-updater.php';
/** A line of PHP ending with this comment is left out of the WordPress.org build. */
export const DIRECT_ONLY_MARKER = '// Direct build only.';
/** Written into readme.txt by the builds: the service's address (API URL without "/api"). */
export const README_SERVICE_URL = '%AGENTDESK_SERVICE_URL%';
/** The line of the main file the builds fill in with the service's API URL. */
const API_URL_DEFINE = "define( 'AGENTDESK_API_URL', '' );";
/** The line of the updater the direct build fills in with the service's update-signing public key. */
const PUBLIC_KEY_CONST = "const PUBLIC_KEY = '';";

// A fixed date for every entry, so the same files always give the same zip and ETag on every
// instance, whatever the checkout's file times are.
const ENTRY_TIME = new Date('2026-01-01T00:00:00Z');

export type PluginVariant = 'direct' | 'wporg';

export interface PluginBuildOptions {
  variant: PluginVariant;
  /** The service's API URL (its PUBLIC_URL + "/api"): the plugin's default and its update source. */
  apiUrl: string;
  /**
   * The service's Ed25519 public key (base64) the direct build's updater checks every update
   * against; without it that copy refuses every update (plugin-signing.ts).
   */
  publicKey?: string;
}

export class PluginBuildError extends Error {}

export function readPluginRelease(dir: string = DEFAULT_PLUGIN_DIR): PluginRelease {
  const main = readFileSync(path.join(dir, `${PLUGIN_SLUG}.php`), 'utf8');
  const readme = readFileSync(path.join(dir, 'readme.txt'), 'utf8');
  return describeRelease(PLUGIN_SLUG, main, readme, 'AGENTDESK_VERSION');
}

/** The API URL as a PHP single-quoted string's content; refuses what is not a plain http(s) URL. */
function phpUrl(apiUrl: string): string {
  let parsed: URL;
  try {
    parsed = new URL(apiUrl);
  } catch {
    throw new PluginBuildError(`the plugin's API URL must be an http(s) URL, got "${apiUrl}"`);
  }
  if (!['http:', 'https:'].includes(parsed.protocol) || /['\\\s]/.test(apiUrl)) {
    throw new PluginBuildError(`the plugin's API URL must be an http(s) URL, got "${apiUrl}"`);
  }
  return apiUrl.replace(/\/+$/, '');
}

/** The main file of a build: the default API URL filled in, `Update URI` added (direct) or direct-only lines dropped (wporg). */
function buildMainFile(source: string, { variant, apiUrl }: PluginBuildOptions): string {
  const url = phpUrl(apiUrl);
  if (source.split(API_URL_DEFINE).length !== 2) {
    throw new PluginBuildError(`${PLUGIN_SLUG}.php must contain exactly one \`${API_URL_DEFINE}\` for the build to fill in`);
  }
  let main = source.replace(API_URL_DEFINE, `define( 'AGENTDESK_API_URL', '${url}' );`);
  if (variant === 'direct') {
    // WordPress (5.8+) then never offers a same-named plugin from WordPress.org over this one.
    const domainPath = /^( \* Domain Path:\s*)\S+$/m.exec(main);
    if (!domainPath) throw new PluginBuildError(`${PLUGIN_SLUG}.php has no "Domain Path" header line to add "Update URI" after`);
    const at = domainPath.index + domainPath[0].length;
    main = `${main.slice(0, at)}\n * Update URI:        ${url}/wordpress/plugin/info${main.slice(at)}`;
  }
  return variant === 'wporg' ? dropDirectOnlyLines(main) : main;
}

const dropDirectOnlyLines = (php: string) =>
  php
    .split('\n')
    .filter((line) => !line.trimEnd().endsWith(DIRECT_ONLY_MARKER))
    .join('\n');

/** Every file of a build, by path inside the plugin folder, in a stable order; dotfiles left out. */
export function pluginBuildFiles(dir: string, options: PluginBuildOptions): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  const walk = (relative: string) => {
    const entries = readdirSync(path.join(dir, relative), { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name));
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue;
      const child = relative ? `${relative}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(child);
      else if (entry.isFile()) files.set(child, readFileSync(path.join(dir, child)));
    }
  };
  walk('');
  const main = `${PLUGIN_SLUG}.php`;
  files.set(main, Buffer.from(buildMainFile(files.get(main)!.toString('utf8'), options)));
  const updater = files.get(UPDATER_FILE);
  if (updater && options.variant === 'direct') {
    const source = updater.toString('utf8');
    if (source.split(PUBLIC_KEY_CONST).length !== 2) throw new PluginBuildError(`${UPDATER_FILE} must contain exactly one \`${PUBLIC_KEY_CONST}\` for the build to fill in`);
    if (options.publicKey !== undefined && !/^[A-Za-z0-9+/]{43}=$/.test(options.publicKey)) throw new PluginBuildError('the update-signing public key must be 32 bytes in base64');
    files.set(UPDATER_FILE, Buffer.from(source.replace(PUBLIC_KEY_CONST, `const PUBLIC_KEY = '${options.publicKey ?? ''}';`)));
  }
  const readme = files.get('readme.txt');
  if (readme) files.set('readme.txt', Buffer.from(readme.toString('utf8').replaceAll(README_SERVICE_URL, phpUrl(options.apiUrl).replace(/\/api$/, ''))));
  if (options.variant === 'wporg') {
    files.delete(UPDATER_FILE);
    for (const [name, bytes] of files) {
      if (name.endsWith('.pot')) files.set(name, Buffer.from(dropPotReferences(bytes.toString('utf8'), UPDATER_FILE)));
    }
    for (const [name, bytes] of files) {
      if (name.endsWith('.php') && name !== main) files.set(name, Buffer.from(dropDirectOnlyLines(bytes.toString('utf8'))));
    }
  }
  return files;
}

/**
 * A .pot without the strings only `file` uses (and without `file` in the references of shared ones),
 * for a build that leaves the file out.
 */
export function dropPotReferences(pot: string, file: string): string {
  const isRef = (ref: string) => ref.startsWith(`${file}:`);
  return pot
    .split(/\n\n/)
    .flatMap((block) => {
      const lines = block.split('\n');
      const refs = lines.filter((line) => line.startsWith('#: ')).flatMap((line) => line.slice(3).split(' '));
      if (refs.length === 0 || !refs.some(isRef)) return [block];
      if (refs.every(isRef)) return [];
      const kept = refs.filter((ref) => !isRef(ref));
      const rest = lines.filter((line) => !line.startsWith('#: '));
      const at = lines.findIndex((line) => line.startsWith('#: '));
      rest.splice(at, 0, `#: ${kept.join(' ')}`);
      return [rest.join('\n')];
    })
    .join('\n\n');
}

export interface PluginZip {
  bytes: Uint8Array;
  etag: string;
  /** Hex SHA-256 of the zip, published by the info endpoint for the updater to verify. */
  sha256: string;
  filename: string;
}

/** A build as WordPress installs it: every file under "agentdesk-chatbot/". */
export function buildPluginZip(dir: string, options: PluginBuildOptions, version = readPluginRelease(dir).version): PluginZip {
  const zippable: Zippable = {};
  for (const [name, bytes] of pluginBuildFiles(dir, options)) zippable[`${PLUGIN_SLUG}/${name}`] = [bytes, { mtime: ENTRY_TIME }];
  const bytes = zipSync(zippable, { level: 9 });
  const digest = createHash('sha256').update(bytes).digest();
  const suffix = options.variant === 'wporg' ? '-wporg' : '';
  return {
    bytes,
    etag: `"${digest.toString('base64url').slice(0, 27)}"`,
    sha256: digest.toString('hex'),
    filename: `${PLUGIN_SLUG}${suffix}-${version}.zip`,
  };
}

/** Writes a build as a folder (`out/agentdesk-chatbot/…`), for linting the directory build. */
export function writePluginBuild(dir: string, out: string, options: PluginBuildOptions): string {
  const root = path.join(out, PLUGIN_SLUG);
  for (const [name, bytes] of pluginBuildFiles(dir, options)) {
    mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
    writeFileSync(path.join(root, name), bytes);
  }
  return root;
}

/** The served direct build: its zip and the zip's Ed25519 signature (base64). */
export interface SignedPluginZip extends PluginZip {
  signature: string;
}

/**
 * Reads the release at once and builds the signed direct zip on first use (the signing key may
 * come from the database, which may be down when the app starts); a failure is retried on the
 * next call.
 */
export function createPluginPackage(dir: string, apiUrl: string, signingKey: () => Promise<PluginSigningKey>) {
  let release: PluginRelease | undefined;
  let zip: Promise<SignedPluginZip> | undefined;
  const build = async (): Promise<SignedPluginZip> => {
    const key = await signingKey();
    const built = buildPluginZip(dir, { variant: 'direct', apiUrl, publicKey: key.publicKey }, readPluginRelease(dir).version);
    return { ...built, signature: key.sign(built.bytes) };
  };
  return {
    dir,
    release(): PluginRelease {
      release ??= readPluginRelease(dir);
      return release;
    },
    zip(): Promise<SignedPluginZip> {
      this.release();
      zip ??= build().catch((error: unknown) => {
        zip = undefined;
        throw error;
      });
      return zip;
    },
  };
}

export type PluginPackage = ReturnType<typeof createPluginPackage>;

/**
 * Why `apiUrl` may not be the default of the WordPress.org build ('' when it may): a loopback,
 * private, link-local or reserved IP address, or a local name (localhost, *.localhost, a name
 * without a dot). A directory build is installed on sites anywhere; such an address reaches
 * nothing of ours from them, or something of theirs.
 */
export function wporgUrlRefusal(apiUrl: string): string | undefined {
  let host: string;
  try {
    host = new URL(apiUrl).hostname.toLowerCase().replace(/^\[|\]$/g, '');
  } catch {
    return `"${apiUrl}" is not a URL`;
  }
  if (isIP(host)) {
    const reason = forbiddenAddressReason(host);
    return reason && `its host ${host}: ${reason}`;
  }
  if (host === 'localhost' || host.endsWith('.localhost') || !host.includes('.')) return `its host ${host} is a local name`;
  return undefined;
}
