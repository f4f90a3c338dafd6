// The WordPress plugin as the service distributes it: its release facts (from its own header and
// readme.txt) and its zip, built in memory from the plugin folder and kept for the process' life.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { zipSync, type Zippable } from 'fflate';
import { describeRelease, type PluginRelease } from '../domain/plugin-metadata.ts';

export const PLUGIN_SLUG = 'agentdesk-chatbot';
/** The repository's wordpress-plugin/ folder. */
export const DEFAULT_PLUGIN_DIR = fileURLToPath(new URL('../../wordpress-plugin/', import.meta.url));

// A fixed date for every entry, so the same files always give the same zip and ETag on every
// instance, whatever the checkout's file times are.
const ENTRY_TIME = new Date('2026-01-01T00:00:00Z');

export function readPluginRelease(dir: string = DEFAULT_PLUGIN_DIR): PluginRelease {
  const main = readFileSync(path.join(dir, `${PLUGIN_SLUG}.php`), 'utf8');
  const readme = readFileSync(path.join(dir, 'readme.txt'), 'utf8');
  return describeRelease(PLUGIN_SLUG, main, readme, 'AGENTDESK_VERSION');
}

export interface PluginZip {
  bytes: Uint8Array;
  etag: string;
  filename: string;
}

/** The plugin folder as WordPress installs it: every file under "agentdesk-chatbot/", dotfiles left out. */
export function buildPluginZip(dir: string = DEFAULT_PLUGIN_DIR, version = readPluginRelease(dir).version): PluginZip {
  const files: Zippable = {};
  const walk = (relative: string) => {
    const entries = readdirSync(path.join(dir, relative), { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name));
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue;
      const child = relative ? `${relative}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(child);
      else if (entry.isFile()) files[`${PLUGIN_SLUG}/${child}`] = [readFileSync(path.join(dir, child)), { mtime: ENTRY_TIME }];
    }
  };
  walk('');
  const bytes = zipSync(files, { level: 9 });
  const etag = `"${createHash('sha256').update(bytes).digest('base64url').slice(0, 27)}"`;
  return { bytes, etag, filename: `${PLUGIN_SLUG}-${version}.zip` };
}

/** Reads the release and builds the zip once, on first use; a failure is retried on the next call. */
export function createPluginPackage(dir: string = DEFAULT_PLUGIN_DIR) {
  let cached: { release: PluginRelease; zip?: PluginZip } | undefined;
  return {
    dir,
    release(): PluginRelease {
      cached ??= { release: readPluginRelease(dir) };
      return cached.release;
    },
    zip(): PluginZip {
      const release = this.release();
      cached!.zip ??= buildPluginZip(dir, release.version);
      return cached!.zip;
    },
  };
}

export type PluginPackage = ReturnType<typeof createPluginPackage>;
