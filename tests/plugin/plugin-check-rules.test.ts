// Plugin Check's readme and plugin-header rules as `npm run lint:plugin` applies them (docs/wordpress-plugin.md "Lint").
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { headerProblems, newestTestedWordPress, readmeProblems } from '../../scripts/plugin-check-rules.ts';
import { DEFAULT_PLUGIN_DIR } from '../../src/plugin/plugin-release.ts';

const test = suite("Plugin Check's readme and header rules");
const MAIN = readFileSync(path.join(DEFAULT_PLUGIN_DIR, 'agentdesk-chatbot.php'), 'utf8');
const README = readFileSync(path.join(DEFAULT_PLUGIN_DIR, 'readme.txt'), 'utf8');
const FILES = ['agentdesk-chatbot.php', 'readme.txt', 'languages/agentdesk-chatbot.pot'];
const codes = (problems: { code: string }[]) => problems.map((p) => p.code);

test('finds nothing to report in the plugin as it is', () => {
  // the readme against the header, "Tested up to" against the newest WordPress the suites run
  assert.equal(readmeProblems(README, MAIN, newestTestedWordPress()), []);
  assert.equal(headerProblems(MAIN, FILES, 'agentdesk-chatbot', false), []);
});

test('reports a readme that disagrees with the plugin or breaks the directory\'s limits', () => {
  const bad = README.replace(/Stable tag: [^\n]+/, 'Stable tag: trunk')
    .replace(/Tested up to: [\d.]+/, 'Tested up to: 6.1')
    .replace('Contributors: agentdesk', 'Contributors: admin')
    .replace('Tags: chatbot, chat, support, ai', 'Tags: a, b, c, d, e, f')
    .replace('License: GPLv2 or later', 'License: Proprietary');
  const found = codes(readmeProblems(bad, MAIN, '6.5'));
  // each broken rule, by Plugin Check's code
  for (const code of ['trunk_stable_tag', 'outdated_tested_upto_header', 'readme_reserved_contributors', 'too_many_tags', 'invalid_license']) assert.ok(found.includes(code), `${code} in ${found}`);
  // a version that is not the header's, and no readme at all
  assert.equal(codes(readmeProblems(README.replace(/Stable tag: [^\n]+/, 'Stable tag: 1.1.0'), MAIN, undefined)), ['stable_tag_mismatch']);
  assert.equal(codes(readmeProblems(undefined, MAIN, '6.5')), ['no_plugin_readme']);
});

test('reports header fields Plugin Check refuses', () => {
  const bad = MAIN.replace('Text Domain:       agentdesk-chatbot', 'Text Domain:       agentdesk')
    .replace('Requires at least: 6.1', 'Requires at least: 6.1.2')
    .replace('Domain Path:       /languages', 'Domain Path:       /lang')
    .replace(' * License URI:', ' * Update URI:        https://desk.agentdesk.test/api/wordpress/plugin/info\n * License URI:');
  const found = codes(headerProblems(bad, FILES, 'agentdesk-chatbot', false));
  assert.equal(found.sort(), ['plugin_header_invalid_requires_wp', 'plugin_header_nonexistent_domain_path', 'plugin_updater_detected', 'textdomain_mismatch']);
  // the direct build may carry Update URI
  assert.not.ok(codes(headerProblems(bad, FILES, 'agentdesk-chatbot', true)).includes('plugin_updater_detected'));
});

test.run();
