// `npm run test:wordpress`: the plugin where it says it runs (readme.txt "Requires PHP: 7.4",
// "Tested up to"): WordPress 6.5 (newer than Debian's 6.1) installed on a fresh SQLite database,
// the plugin's direct build activated, and the plugin's own PHP tests (tests/plugin/php/plugin-tests.php)
// run inside it, on PHP 7.4 and PHP 8.4 compiled to WebAssembly (docs/wordpress-plugin.md "Tests").
// test-runner: alone — two PHP runtimes and two WordPress installs in memory (several hundred MB)
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { buildPluginZip, DEFAULT_PLUGIN_DIR, readPluginRelease } from '../../src/plugin/plugin-release.ts';
import { pluginSigningKey } from '../../src/plugin/plugin-signing.ts';
import { whenAvailable } from '../helpers/system.ts';
import { startWasmWordPress, WASM_PHP_VERSIONS, WASM_WORDPRESS, wasmWordPressUnavailable } from './wasm-wordpress.ts';

const API_URL = 'https://desk.agentdesk.test/api';
const TESTS = readFileSync(new URL('../plugin/php/plugin-tests.php', import.meta.url), 'utf8');
const test = suite('the plugin on PHP 7.4 and 8.4, WordPress 6.5');
const it = whenAvailable(test, wasmWordPressUnavailable());

const readme = readFileSync(new URL('../../wordpress-plugin/readme.txt', import.meta.url), 'utf8');

it(`readme.txt's "Tested up to" names the newest WordPress this suite runs (${WASM_WORDPRESS})`, () => {
  assert.match(readme, `Tested up to: ${WASM_WORDPRESS}\n`);
});

for (const phpVersion of WASM_PHP_VERSIONS) {
  it(`PHP ${phpVersion}: WordPress ${WASM_WORDPRESS} installs with the plugin active, and the plugin's PHP tests pass`, async () => {
    const key = pluginSigningKey(randomBytes(32).toString('base64'));
    const genuine = buildPluginZip(DEFAULT_PLUGIN_DIR, { variant: 'direct', apiUrl: API_URL, publicKey: key.publicKey });
    const wp = await startWasmWordPress(phpVersion, { variant: 'direct', apiUrl: API_URL, publicKey: key.publicKey });
    try {
      wp.writeFile(
        '/tmp/fixture.json',
        JSON.stringify({ zip: Buffer.from(genuine.bytes).toString('base64'), signature: key.sign(genuine.bytes), public_key: key.publicKey }),
      );
      const result = await wp.run(TESTS, { AGENTDESK_TEST_FIXTURE: '/tmp/fixture.json' });
      // the runtime is the version promised, WordPress the one named
      assert.match(result.php, new RegExp(`^${phpVersion.replace('.', '\\.')}\\.`));
      assert.match(result.wp, new RegExp(`^${WASM_WORDPRESS.replace('.', '\\.')}`));
      // every check of the plugin's PHP tests holds
      assert.equal(result.failures, []);
      assert.ok(result.passed >= 40, `only ${result.passed} checks ran`);
      // and PHP reported no warning, notice or deprecation from the plugin (WordPress 6.5's own on PHP 8.4 aside)
      assert.equal(result.phpErrors.split('\n').filter((line: string) => line.includes('plugins/agentdesk-chatbot/')), []);
      const version = await wp.run(`<?php echo "\\n@@RESULT@@ " . json_encode( array( 'version' => AGENTDESK_VERSION ) ) . "\\n";`);
      // the plugin loaded is this repository's
      assert.is(version.version, readPluginRelease().version);
    } finally {
      wp.close();
    }
  });
}

test.run();
