// The plugin's files on their own: every PHP file parses, the .pot lists exactly the strings the
// code translates, and the release facts (header, version constant, readme) agree.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { newestTestedWordPress } from '../../scripts/plugin-check-rules.ts';
import { extractPot, pluginDir, pluginPhpFiles, potFile } from '../../scripts/make-pot.ts';
import { readPluginRelease } from '../../src/plugin/plugin-release.ts';
import { commandWorks, whenAvailable } from '../helpers/system.ts';

const test = suite('WordPress plugin files');
const withPhp = whenAvailable(test, commandWorks('php', ['-v']) ? undefined : 'php-cli is not installed (php -l)');
const withXgettext = whenAvailable(test, commandWorks('xgettext') ? undefined : 'gettext is not installed (xgettext)');

/** Every entry of a .po/.pot file as "context\u0004msgid\u0000plural", header excluded. */
function potEntries(text: string): string[] {
  const entries: string[] = [];
  const unquote = (lines: string[]) => lines.map((line) => JSON.parse(line.replace(/^[a-z_]+(\[\d+\])?\s+/, '')) as string).join('');
  for (const block of text.replace(/\r\n?/g, '\n').split(/\n\s*\n/)) {
    const fields: Record<string, string[]> = {};
    let current: string | undefined;
    for (const line of block.split('\n')) {
      if (line.startsWith('#')) continue;
      const keyword = /^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?)\s/.exec(line);
      if (keyword) {
        current = keyword[1]!;
        fields[current] = [line];
      } else if (current && line.startsWith('"')) {
        fields[current]!.push(`x ${line}`);
      }
    }
    if (!fields.msgid) continue;
    const msgid = unquote(fields.msgid);
    if (msgid === '') continue;
    const context = fields.msgctxt ? `${unquote(fields.msgctxt)}\u0004` : '';
    const plural = fields.msgid_plural ? `\u0000${unquote(fields.msgid_plural)}` : '';
    entries.push(context + msgid + plural);
  }
  return entries.sort();
}

test('has the layout of the seed', () => {
  const files = pluginPhpFiles();
  for (const name of ['admin', 'validator', 'heartbeat', 'widget', 'updater', 'api']) {
    // one class per file under includes/
    assert.ok(files.includes(path.join('includes', `class-agentdesk-${name}.php`)), `includes/class-agentdesk-${name}.php`);
  }
  // the main file and uninstall.php beside it
  assert.ok(files.includes('agentdesk-chatbot.php') && files.includes('uninstall.php'));
});

test('guards every PHP file against direct access', () => {
  for (const file of pluginPhpFiles()) {
    const source = readFileSync(path.join(pluginDir, file), 'utf8');
    if (/^<\?php\s*\/\*\*\s*\* Silence is golden\./.test(source)) continue;
    // ABSPATH (or WP_UNINSTALL_PLUGIN in uninstall.php) is checked before anything runs
    assert.match(source, file === 'uninstall.php' ? /defined\( 'WP_UNINSTALL_PLUGIN' \)/ : /if \( ! defined\( 'ABSPATH' \) \)/, file);
  }
});

test('agrees with itself on the version: header, AGENTDESK_VERSION and readme Stable tag', () => {
  const release = readPluginRelease();
  // readPluginRelease throws when the three disagree; the header drives the rest
  assert.match(release.version, /^\d+\.\d+\.\d+$/);
  assert.is(release.requires, '6.1');
  assert.is(release.requires_php, '7.4');
});

test('readme: an External services section saying what is sent, when and to whom, and Tested up to what CI runs', () => {
  const readme = readFileSync(path.join(pluginDir, 'readme.txt'), 'utf8');
  const services = (/== External services ==\n([\s\S]*?)\n== /.exec(readme)?.[1] ?? '').replace(/\s+/g, ' ');
  // the heartbeat's four fields, the update check, the widget loaded by every visitor, before-consent
  // silence, the maintenance call and the probe, the connect flow's calls and the disconnect call
  for (const words of ["site's address", 'plugin version', 'WordPress version', 'whether the plugin is active', 'Update check', 'widget script', "IP address", 'Nothing is sent before an administrator connects the site or saves a bot API token', 'wp agentdesk maintenance <minutes> [--reason=<text>]', 'the reason exactly as typed (free text', 'requests your site\'s `wp-cron.php`', 'AgentDesk-Probe', '/connect', '/api/connect/token', '/api/bots/wordpress-disconnect']) {
    assert.match(services, words);
  }
  // terms and privacy links
  assert.match(services, /terms of use: \S+\/terms/);
  assert.match(services, /privacy policy: \S+\/privacy/);
  // no claim that visitor information is never sent
  assert.not.match(readme, /never sends[^.]*visitor/i);
  // the newest WordPress the suites run (tests/wordpress/php-versions.e2e.ts: WordPress 6.5 on PHP 7.4 and 8.4)
  assert.match(readme, `\nTested up to: ${newestTestedWordPress()}\n`);
});

withPhp('parses with php -l, every file', () => {
  const files = pluginPhpFiles();
  for (const file of files) {
    const result = spawnSync('php', ['-l', file], { cwd: pluginDir, encoding: 'utf8' });
    // "No syntax errors detected"
    assert.is(result.status, 0, `${file}: ${result.stdout}${result.stderr}`);
  }
  // there is something to lint
  assert.ok(files.length >= 9);
});

withXgettext('keeps languages/agentdesk-chatbot.pot in sync with the code (npm run pot regenerates it)', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'agentdesk-pot-'));
  try {
    const fresh = path.join(dir, 'fresh.pot');
    extractPot(fresh, readPluginRelease().version);
    const extracted = potEntries(readFileSync(fresh, 'utf8'));
    const committed = potEntries(readFileSync(potFile, 'utf8'));
    // the code has translatable strings at all
    assert.ok(extracted.length > 20);
    // the same strings, no more, no fewer
    assert.equal(committed, extracted, 'run `npm run pot` and commit the .pot');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

withXgettext('uses only the agentdesk-chatbot text domain', () => {
  const calls = /\b(?:__|_e|esc_html__|esc_html_e|esc_attr__|esc_attr_e|_x|_n)\(\s*('(?:[^'\\]|\\.)*')\s*,\s*('[^']*')\s*\)/g;
  let checked = 0;
  for (const file of pluginPhpFiles()) {
    for (const match of readFileSync(path.join(pluginDir, file), 'utf8').matchAll(calls)) {
      checked++;
      // every single-string call names our text domain
      assert.is(match[2], "'agentdesk-chatbot'", `${file}: ${match[0]}`);
    }
  }
  // the pattern found the calls
  assert.ok(checked > 10);
});

test.run();
