// `npm run pot`: regenerates wordpress-plugin/languages/agentdesk-chatbot.pot with gettext's xgettext
// and WordPress's translation functions as keywords. tests/plugin/plugin-files.test.ts runs the same
// extraction and fails when the committed .pot no longer matches the code.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const pluginDir = fileURLToPath(new URL('../wordpress-plugin/', import.meta.url));
export const potFile = path.join(pluginDir, 'languages', 'agentdesk-chatbot.pot');

/** WordPress's gettext functions, in xgettext's keyword syntax (argument numbers, c = context). */
export const WORDPRESS_KEYWORDS = [
  '__', '_e', 'esc_html__', 'esc_html_e', 'esc_attr__', 'esc_attr_e',
  '_x:1,2c', '_ex:1,2c', 'esc_html_x:1,2c', 'esc_attr_x:1,2c',
  '_n:1,2', '_nx:1,2,4c', '_n_noop:1,2', '_nx_noop:1,2,3c',
];

/** Every PHP file of the plugin, relative to its folder, sorted. */
export function pluginPhpFiles(dir = pluginDir): string[] {
  const found: string[] = [];
  const walk = (relative: string) => {
    for (const entry of readdirSync(path.join(dir, relative), { withFileTypes: true })) {
      const child = path.join(relative, entry.name);
      if (entry.isDirectory()) walk(child);
      else if (entry.name.endsWith('.php')) found.push(child);
    }
  };
  walk('');
  return found.sort();
}

export function xgettextArgs(output: string, version: string): string[] {
  return [
    '--language=PHP',
    '--from-code=UTF-8',
    '--add-comments=translators:',
    '--keyword', // no default keywords: only WordPress's functions
    ...WORDPRESS_KEYWORDS.map((keyword) => `--keyword=${keyword}`),
    '--package-name=AgentDesk Chatbot',
    `--package-version=${version}`,
    '--sort-by-file',
    '--width=100',
    `--output=${output}`,
    ...pluginPhpFiles(),
  ];
}

/** Runs xgettext over the plugin (from its folder, so references are relative paths). */
export function extractPot(output: string, version: string): void {
  execFileSync('xgettext', xgettextArgs(output, version), { cwd: pluginDir, stdio: ['ignore', 'inherit', 'inherit'] });
  // xgettext leaves the charset open in a template; WordPress's tools and translators expect UTF-8.
  writeFileSync(output, readFileSync(output, 'utf8').replace('charset=CHARSET', 'charset=UTF-8'));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const { readPluginRelease } = await import('../src/plugin/plugin-release.ts');
  const release = readPluginRelease(pluginDir);
  extractPot(potFile, release.version);
  console.log(`wrote ${path.relative(process.cwd(), potFile)}`);
}
