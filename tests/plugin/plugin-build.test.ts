// The plugin's two builds (docs/wordpress-plugin.md "Builds"): what `npm run build:plugin` writes and the service serves.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { unzipSync } from 'fflate';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { buildPlugins } from '../../scripts/build-plugin.ts';
import { buildPluginZip, DEFAULT_PLUGIN_DIR, dropPotReferences, PluginBuildError, UPDATER_FILE, writePluginBuild } from '../../src/plugin/plugin-release.ts';
import { pluginSigningKey } from '../../src/plugin/plugin-signing.ts';
import { commandWorks, whenAvailable } from '../helpers/system.ts';

const API_URL = 'https://desk.agentdesk.test/api';
const test = suite('WordPress plugin builds');
const withPhp = whenAvailable(test, commandWorks('php', ['-v']) ? undefined : 'php-cli is not installed (php -l)');

const unzipText = (bytes: Uint8Array) =>
  Object.fromEntries(Object.entries(unzipSync(bytes)).map(([name, data]) => [name.replace(/^agentdesk-chatbot\//, ''), Buffer.from(data).toString('utf8')]));

test('writes dist/agentdesk-chatbot.zip and dist/agentdesk-chatbot-wporg.zip', () => {
  const out = mkdtempSync(path.join(os.tmpdir(), 'agentdesk-dist-'));
  try {
    const built = buildPlugins(API_URL, out);
    // both files, each a zip of one agentdesk-chatbot/ folder
    assert.equal(built.map((b) => path.basename(b.file)), ['agentdesk-chatbot.zip', 'agentdesk-chatbot-wporg.zip']);
    for (const { file } of built) {
      const names = Object.keys(unzipSync(readFileSync(file)));
      assert.ok(names.length > 8 && names.every((name) => name.startsWith('agentdesk-chatbot/')), file);
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('the direct build carries the updater, an Update URI and the service as the default API URL', () => {
  const files = unzipText(buildPluginZip(DEFAULT_PLUGIN_DIR, { variant: 'direct', apiUrl: API_URL }).bytes);
  const main = files['agentdesk-chatbot.php']!;
  // updates come from the service the plugin was downloaded from
  assert.ok(UPDATER_FILE in files);
  assert.match(main, `Update URI:        ${API_URL}/wordpress/plugin/info`);
  assert.match(main, "require_once AGENTDESK_PLUGIN_DIR . 'includes/class-agentdesk-updater.php';");
  assert.match(main, `define( 'AGENTDESK_API_URL', '${API_URL}' );`);
});

test('refuses to build the WordPress.org zip for a loopback, private or local PUBLIC_URL, saying why', () => {
  const out = mkdtempSync(path.join(os.tmpdir(), 'agentdesk-dist-'));
  try {
    for (const [url, words] of [
      ['http://127.0.0.1:3000/api', 'loopback'],
      ['http://10.1.2.3/api', 'private'],
      ['http://[::1]:3000/api', 'loopback'],
      ['http://localhost:3000/api', 'local name'],
      ['http://desk/api', 'local name'],
    ] as const) {
      // a directory build with such a default reaches nothing from the sites that install it
      assert.throws(() => buildPlugins(url, out), (error: Error) => error instanceof PluginBuildError && error.message.includes('WordPress.org') && error.message.includes(words), url);
    }
    // a public name is fine
    assert.is(buildPlugins(API_URL, out).length, 2);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('the direct build carries the update-signing public key it is given, and writes the signature beside the zip', () => {
  const out = mkdtempSync(path.join(os.tmpdir(), 'agentdesk-dist-'));
  try {
    const key = pluginSigningKey(randomBytes(32).toString('base64'));
    const [direct] = buildPlugins(API_URL, out, DEFAULT_PLUGIN_DIR, key);
    const files = unzipText(readFileSync(direct!.file));
    // the updater checks updates against exactly this key
    assert.match(files[UPDATER_FILE]!, `const PUBLIC_KEY = '${key.publicKey}';`);
    // and the .sig beside the zip is that key's signature of the zip's bytes
    assert.is(readFileSync(`${direct!.file}.sig`, 'utf8').trim(), key.sign(readFileSync(direct!.file)));
    // without a key the updater carries none (and refuses every update)
    assert.match(unzipText(buildPluginZip(DEFAULT_PLUGIN_DIR, { variant: 'direct', apiUrl: API_URL }).bytes)[UPDATER_FILE]!, "const PUBLIC_KEY = '';");
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('the WordPress.org build has no updater code and no Update URI', () => {
  const files = unzipText(buildPluginZip(DEFAULT_PLUGIN_DIR, { variant: 'wporg', apiUrl: API_URL }).bytes);
  const all = Object.values(files).join('\n');
  // guideline 8: no file, hook or header that updates from elsewhere
  assert.not.ok(UPDATER_FILE in files);
  assert.not.match(all, /Update URI/i);
  assert.not.match(all, /AgentDesk_Updater|class-agentdesk-updater|pre_set_site_transient_update_plugins|plugins_api/);
  // still the same plugin otherwise, with the service's API URL
  assert.match(files['agentdesk-chatbot.php']!, `define( 'AGENTDESK_API_URL', '${API_URL}' );`);
  assert.ok('includes/class-agentdesk-heartbeat.php' in files && 'uninstall.php' in files);
});

test('leaves the updater\'s strings out of the WordPress.org build\'s .pot, and its references out of shared ones', () => {
  const pot = ['msgid ""\nmsgstr ""', '#: a.php:1 u.php:2\nmsgid "shared"\nmsgstr ""', '#: u.php:3\nmsgid "updater only"\nmsgstr ""', '#: a.php:4\nmsgid "other"\nmsgstr ""'].join('\n\n');
  // header and the other file's strings kept; the shared one keeps only its other reference
  assert.is(dropPotReferences(pot, 'u.php'), ['msgid ""\nmsgstr ""', '#: a.php:1\nmsgid "shared"\nmsgstr ""', '#: a.php:4\nmsgid "other"\nmsgstr ""'].join('\n\n'));
});

test('ships no ".example" placeholder in headers, readme or .pot of either build', () => {
  for (const variant of ['direct', 'wporg'] as const) {
    const files = unzipText(buildPluginZip(DEFAULT_PLUGIN_DIR, { variant, apiUrl: API_URL }).bytes);
    for (const name of ['agentdesk-chatbot.php', 'readme.txt', 'languages/agentdesk-chatbot.pot']) {
      // a placeholder host in a shipped file is a link to nowhere
      assert.not.match(files[name]!, /\.example\b/, `${variant} ${name}`);
      // and no build placeholder left unfilled
      assert.not.match(files[name]!, /%AGENTDESK_[A-Z_]+%/, `${variant} ${name}`);
    }
  }
});

test('gives the same bytes for the same files, so every instance serves the same SHA-256', () => {
  const a = buildPluginZip(DEFAULT_PLUGIN_DIR, { variant: 'direct', apiUrl: API_URL });
  const b = buildPluginZip(DEFAULT_PLUGIN_DIR, { variant: 'direct', apiUrl: API_URL });
  const other = buildPluginZip(DEFAULT_PLUGIN_DIR, { variant: 'direct', apiUrl: 'https://other.agentdesk.test/api' });
  // deterministic, and the API URL is part of it
  assert.is(a.sha256, b.sha256);
  assert.is.not(a.sha256, other.sha256);
});

test('refuses an API URL that is not a plain http(s) URL, which would break the PHP it is written into', () => {
  for (const apiUrl of ['ftp://x.test/api', "https://x.test/api');phpinfo();//", 'not a url']) {
    assert.throws(() => buildPluginZip(DEFAULT_PLUGIN_DIR, { variant: 'direct', apiUrl }), (e: Error) => e instanceof PluginBuildError, apiUrl);
  }
});

withPhp('both builds parse with php -l', () => {
  const out = mkdtempSync(path.join(os.tmpdir(), 'agentdesk-build-'));
  try {
    let checked = 0;
    for (const variant of ['direct', 'wporg'] as const) {
      const root = writePluginBuild(DEFAULT_PLUGIN_DIR, path.join(out, variant), { variant, apiUrl: API_URL });
      const list = path.join(out, `${variant}.list`);

      for (const file of Object.keys(unzipSync(buildPluginZip(DEFAULT_PLUGIN_DIR, { variant, apiUrl: API_URL }).bytes))) {
        if (!file.endsWith('.php')) continue;
        const result = spawnSync('php', ['-l', path.join(root, '..', file)], { encoding: 'utf8' });
        // the lines the WordPress.org build drops leave valid PHP behind
        assert.is(result.status, 0, `${variant} ${file}: ${result.stdout}${result.stderr}`);
        checked++;
      }
    }
    assert.ok(checked >= 16);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test.run();
