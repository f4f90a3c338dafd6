// Plugin Check's readme and plugin-header rules (its `plugin_readme` and `plugin_header_fields`
// checks), which are PHP code run inside WordPress rather than PHPCS sniffs, so the PHPCS kit
// cannot run them: the same rules, read from a build's files (docs/wordpress-plugin.md "Lint").
// Each problem names Plugin Check's own code for it.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

/**
 * The newest WordPress release the test suites run the plugin on: the newest numbered one that
 * `@wp-playground/wordpress-builds` carries (tests/wordpress/php-versions.e2e.ts installs it).
 * readme.txt's "Tested up to" must name it. Undefined when that package is not installed.
 */
export function newestTestedWordPress(): string | undefined {
  try {
    const file = createRequire(import.meta.url).resolve('@wp-playground/wordpress-builds/package.json').replace(/package\.json$/, 'src/wordpress/wp-versions.json');
    const versions = Object.keys(JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>).filter((v) => /^\d+\.\d+$/.test(v));
    return versions.sort((a, b) => b.localeCompare(a, undefined, { numeric: true }))[0];
  } catch {
    return undefined;
  }
}

export interface PluginCheckProblem {
  code: string;
  message: string;
}

/** GPL-compatible licence names as Plugin Check accepts them (its license check, simplified to the usual spellings). */
const GPL_COMPATIBLE = /^(GPL|GNU General Public License|GPLv[23]|GPL-[23]\.0|MIT|Apache|BSD|MPL|LGPL|Expat|ISC|zlib|Public Domain|CC0)/i;
const VERSION = /^\d+(\.\d+){0,3}([.+-][0-9A-Za-z.+-]+)?$/;
const WP_VERSION = /^\d+\.\d+$/;
const PHP_VERSION = /^\d+\.\d+(\.\d+)?$/;
/** Contributor names WordPress.org reserves (Plugin Check's reserved contributors). */
const RESERVED_CONTRIBUTORS = ['admin', 'administrator', 'root', 'wordpress', 'wordpressdotorg'];

/** The header fields of a plugin's main file (the first docblock's "Name: value" lines). */
export function pluginHeaders(main: string): Record<string, string> {
  const block = /\/\*\*?([\s\S]*?)\*\//.exec(main)?.[1] ?? '';
  const fields: Record<string, string> = {};
  for (const match of block.matchAll(/^[ \t/*#@]*([A-Za-z][A-Za-z ]*?):[ \t]*(.+?)[ \t]*$/gm)) fields[match[1]!.trim()] = match[2]!.trim();
  return fields;
}

export interface Readme {
  name: string;
  headers: Record<string, string>;
  shortDescription: string;
  sections: Record<string, string>;
}

export function parseReadme(text: string): Readme {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  const name = /^===\s*(.+?)\s*===$/.exec(lines[0]?.trim() ?? '')?.[1] ?? '';
  const headers: Record<string, string> = {};
  let at = 1;
  for (; at < lines.length && lines[at]!.trim() !== ''; at++) {
    const match = /^([A-Za-z ]+):\s*(.*)$/.exec(lines[at]!.trim());
    if (match) headers[match[1]!.trim().toLowerCase()] = match[2]!.trim();
  }
  const rest = lines.slice(at).join('\n');
  const firstSection = rest.search(/^==\s/m);
  const shortDescription = (firstSection < 0 ? rest : rest.slice(0, firstSection)).trim();
  const sections: Record<string, string> = {};
  for (const match of rest.matchAll(/^==\s*(.+?)\s*==\s*$([\s\S]*?)(?=^==\s|(?![\s\S]))/gm)) sections[match[1]!.toLowerCase()] = match[2]!.trim();
  return { name, headers, shortDescription, sections };
}

/**
 * Plugin Check's readme rules for `readme.txt` beside `main` (the plugin's main file).
 * `tested` is the newest WordPress this plugin is known to run on (what "Tested up to" must name).
 */
export function readmeProblems(readmeText: string | undefined, main: string, tested: string | undefined): PluginCheckProblem[] {
  if (readmeText === undefined) return [{ code: 'no_plugin_readme', message: 'The plugin has no readme.txt.' }];
  const problems: PluginCheckProblem[] = [];
  const add = (code: string, message: string) => problems.push({ code, message });
  const readme = parseReadme(readmeText);
  const header = pluginHeaders(main);
  const h = readme.headers;
  if (!readme.name) add('empty_plugin_name', 'readme.txt must start with "=== Plugin Name ===".');
  else if (header['Plugin Name'] && readme.name !== header['Plugin Name']) add('mismatched_plugin_name', `readme.txt names "${readme.name}", the plugin header "${header['Plugin Name']}".`);
  if (/Here is a short description of the plugin|Tags: tag1|Donate link: http:\/\/example\.com\//.test(readmeText)) add('default_readme_text', 'readme.txt still has the template\'s text.');
  if (!h['license']) add('no_license', 'readme.txt has no "License:" header.');
  else if (!GPL_COMPATIBLE.test(h['license'])) add('invalid_license', `readme.txt's licence "${h['license']}" is not GPL-compatible.`);
  else if (header['License'] && normaliseLicense(h['license']) !== normaliseLicense(header['License'])) add('license_mismatch', `readme.txt's licence "${h['license']}" differs from the header's "${header['License']}".`);
  const stable = h['stable tag'];
  if (!stable) add('no_stable_tag', 'readme.txt has no "Stable tag:".');
  else if (stable === 'trunk') add('trunk_stable_tag', '"Stable tag: trunk" is not allowed.');
  else if (header['Version'] && stable !== header['Version']) add('stable_tag_mismatch', `"Stable tag: ${stable}" differs from the plugin's Version ${header['Version']}.`);
  const testedUpTo = h['tested up to'];
  if (!testedUpTo || !WP_VERSION.test(testedUpTo)) add('invalid_tested_upto_minor', `"Tested up to" must be a WordPress major version such as 6.5, got "${testedUpTo ?? ''}".`);
  else if (tested !== undefined && testedUpTo !== tested) add('outdated_tested_upto_header', `"Tested up to: ${testedUpTo}" must name the newest WordPress the tests run, ${tested}.`);
  if (h['requires at least'] && header['Requires at least'] && h['requires at least'] !== header['Requires at least']) add('requires_wp_header_mismatch', 'readme.txt and the plugin header disagree on "Requires at least".');
  if (h['requires php'] && header['Requires PHP'] && h['requires php'] !== header['Requires PHP']) add('requires_php_header_mismatch', 'readme.txt and the plugin header disagree on "Requires PHP".');
  const contributors = (h['contributors'] ?? '').split(',').map((c) => c.trim()).filter(Boolean);
  if (contributors.length === 0) add('readme_invalid_contributors', 'readme.txt names no contributors.');
  for (const contributor of contributors) {
    if (RESERVED_CONTRIBUTORS.includes(contributor.toLowerCase())) add('readme_reserved_contributors', `"${contributor}" is a reserved contributor name.`);
    else if (!/^[a-z0-9_-]+$/i.test(contributor)) add('readme_invalid_contributors', `"${contributor}" is not a WordPress.org user name.`);
  }
  const tags = (h['tags'] ?? '').split(',').map((t) => t.trim()).filter(Boolean);
  if (tags.length > 5) add('too_many_tags', `readme.txt has ${tags.length} tags; WordPress.org shows the first 5 only.`);
  if (!readme.shortDescription) add('no_short_description_present', 'readme.txt has no short description after its headers.');
  else if (readme.shortDescription.length > 150) add('trimmed_short_description', `The short description has ${readme.shortDescription.length} characters; at most 150 are shown.`);
  for (const notice of (readme.sections['upgrade notice'] ?? '').split(/^=.*=\s*$/m).map((n) => n.trim()).filter(Boolean)) {
    if (notice.length > 300) add('upgrade_notice_limit', `An upgrade notice has ${notice.length} characters; at most 300 are shown.`);
  }
  return problems;
}

/** A licence as a comparable key: "GPLv2 or later" and "GPL-2.0-or-later" are both "gpl2+". */
const normaliseLicense = (license: string) => {
  const text = license.toLowerCase();
  const gpl = /gpl|general public license/.test(text);
  const version = /(\d)(?:\.0)?/.exec(text)?.[1] ?? '';
  return `${gpl ? 'gpl' : text}${version}${/later|\+/.test(text) ? '+' : ''}`;
};

/**
 * Plugin Check's plugin-header rules for `main`; `files` are the build's paths (for Domain Path),
 * `slug` its folder. `updaterAllowed` is false for the WordPress.org build (no Update URI).
 */
export function headerProblems(main: string, files: string[], slug: string, updaterAllowed: boolean): PluginCheckProblem[] {
  const problems: PluginCheckProblem[] = [];
  const add = (code: string, message: string) => problems.push({ code, message });
  const header = pluginHeaders(main);
  if (!header['Plugin Name']) add('plugin_header_no_plugin_name', 'The main file has no "Plugin Name" header.');
  if (!header['Description']) add('plugin_header_missing_plugin_description', 'The main file has no "Description" header.');
  if (!header['Version']) add('plugin_header_missing_plugin_version', 'The main file has no "Version" header.');
  else if (!VERSION.test(header['Version'])) add('plugin_header_invalid_plugin_version', `"Version: ${header['Version']}" is not a version number.`);
  if (header['Requires at least'] && !WP_VERSION.test(header['Requires at least'])) add('plugin_header_invalid_requires_wp', `"Requires at least: ${header['Requires at least']}" must be a major version such as 6.1.`);
  if (header['Requires PHP'] && !PHP_VERSION.test(header['Requires PHP'])) add('plugin_header_invalid_requires_php', `"Requires PHP: ${header['Requires PHP']}" must be a version such as 7.4.`);
  for (const field of ['Plugin URI', 'Author URI', 'License URI']) {
    if (header[field] && !/^https?:\/\/[^\s/]+\.[^\s]+$/.test(header[field])) add(`plugin_header_invalid_${field.toLowerCase().replace(' ', '_')}`, `"${field}: ${header[field]}" is not a URL.`);
  }
  if (header['Plugin URI'] && /\/\/(www\.)?(wordpress\.org|example\.com)\//i.test(header['Plugin URI'])) add('plugin_header_invalid_plugin_uri_domain', 'The Plugin URI may not be on wordpress.org or example.com.');
  if (header['Network'] && header['Network'] !== 'true') add('plugin_header_invalid_network', '"Network" may only be "true".');
  if (!header['License']) add('plugin_header_no_license', 'The main file has no "License" header.');
  else if (!GPL_COMPATIBLE.test(header['License'])) add('plugin_header_invalid_license', `"License: ${header['License']}" is not GPL-compatible.`);
  if (header['Text Domain'] !== slug) add('textdomain_mismatch', `"Text Domain: ${header['Text Domain'] ?? ''}" must be the plugin's slug, ${slug}.`);
  const domainPath = header['Domain Path'];
  if (domainPath) {
    if (!domainPath.startsWith('/')) add('plugin_header_invalid_domain_path', `"Domain Path: ${domainPath}" must start with "/".`);
    else if (!files.some((file) => file.startsWith(`${domainPath.slice(1).replace(/\/$/, '')}/`))) add('plugin_header_nonexistent_domain_path', `"Domain Path: ${domainPath}" names no folder of the plugin.`);
  }
  if (!updaterAllowed && header['Update URI']) add('plugin_updater_detected', 'The WordPress.org build may not carry an "Update URI" header.');
  return problems;
}
