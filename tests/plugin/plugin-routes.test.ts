import { createHash, createPublicKey, randomBytes, verify } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import vm from 'node:vm';
import { unzipSync } from 'fflate';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { DEFAULT_PLUGIN_DIR } from '../../src/plugin/plugin-release.ts';
import { pluginSigningKey } from '../../src/plugin/plugin-signing.ts';
import { buildTestApp } from '../helpers/app.ts';
import { copyPluginWithVersion } from '../helpers/plugin-copy.ts';

type Ctx = Awaited<ReturnType<typeof buildTestApp>> & { bumpedDir: string; bumped: Awaited<ReturnType<typeof buildTestApp>>['app'] };
const test = suite<Ctx>('plugin info, download and widget.js');

const PUBLIC_URL = 'https://desk.agentdesk.test';

test.before(async (ctx) => {
  Object.assign(ctx, await buildTestApp({ env: { PUBLIC_URL, TRUST_PROXY: 'true' } }));
  ctx.bumpedDir = copyPluginWithVersion('9.8.7');
  ctx.bumped = (await buildTestApp({ db: ctx.db, pluginDir: ctx.bumpedDir })).app;
});
test.after(async (ctx) => {
  await ctx.app.close();
  await ctx.bumped.close();
  rmSync(ctx.bumpedDir, { recursive: true, force: true });
});

test('announces the version in the plugin header, with requirements and a download URL', async (ctx) => {
  const response = await ctx.app.inject({ method: 'GET', url: '/api/wordpress/plugin/info', headers: { host: 'agentdesk.test:8080' } });
  const body = response.json();
  const header = readFileSync(path.join(DEFAULT_PLUGIN_DIR, 'agentdesk-chatbot.php'), 'utf8');
  // the same version as the plugin's own header
  assert.is(response.statusCode, 200);
  assert.ok(header.includes(`Version:           ${body.version}`));
  // requirements and the readme's changelog
  assert.equal([body.requires, body.requires_php, body.slug], ['6.1', '7.4', 'agentdesk-chatbot']);
  assert.match(body.changelog, `= ${body.version} =`);
  // the zip, at the service's PUBLIC_URL
  assert.is(body.download_url, `${PUBLIC_URL}/api/wordpress/plugin/download`);
  // cacheable
  assert.match(String(response.headers['cache-control']), /max-age=\d+/);
});

test('builds the download URL from PUBLIC_URL whatever Host or X-Forwarded-Host a caller sends', async (ctx) => {
  // the answer is publicly cacheable: a forged host must not end up in a cache as the package URL
  for (const headers of [{ host: 'evil.test' }, { 'x-forwarded-host': 'evil.test', 'x-forwarded-proto': 'http' }, { host: 'evil.test:8443', 'x-forwarded-host': 'other.evil.test' }]) {
    const body = (await ctx.app.inject({ method: 'GET', url: '/api/wordpress/plugin/info', headers })).json();
    assert.is(body.download_url, `${PUBLIC_URL}/api/wordpress/plugin/download`, JSON.stringify(headers));
  }
});

test('publishes the SHA-256 of exactly the zip it serves', async (ctx) => {
  const info = (await ctx.app.inject({ method: 'GET', url: '/api/wordpress/plugin/info' })).json();
  const zip = await ctx.app.inject({ method: 'GET', url: '/api/wordpress/plugin/download' });
  // the updater compares the downloaded file with this digest
  assert.match(info.sha256, /^[0-9a-f]{64}$/);
  assert.is(createHash('sha256').update(zip.rawPayload).digest('hex'), info.sha256);
});

test('signs exactly the zip it serves with the key whose public half the zip carries, the same on every instance', async (ctx) => {
  const info = (await ctx.app.inject({ method: 'GET', url: '/api/wordpress/plugin/info' })).json();
  const zip = await ctx.app.inject({ method: 'GET', url: '/api/wordpress/plugin/download' });
  const updater = Buffer.from(unzipSync(new Uint8Array(zip.rawPayload))['agentdesk-chatbot/includes/class-agentdesk-updater.php']!).toString('utf8');
  const publicKey = /const PUBLIC_KEY = '([A-Za-z0-9+/=]+)';/.exec(updater)?.[1];
  // the direct build carries a 32-byte Ed25519 public key
  assert.ok(publicKey, 'no public key in the served updater');
  const key = createPublicKey({ key: Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), Buffer.from(publicKey, 'base64')]), format: 'der', type: 'spki' });
  // the published signature verifies the served bytes under that key, and not one byte changed
  assert.ok(verify(null, zip.rawPayload, key, Buffer.from(info.signature, 'base64')));
  const tampered = Buffer.from(zip.rawPayload);
  tampered[tampered.length - 1]! ^= 1;
  assert.not.ok(verify(null, tampered, key, Buffer.from(info.signature, 'base64')));
  // the generated key is kept in the database: another instance on it serves the same public key
  const other = (await ctx.bumped.inject({ method: 'GET', url: '/api/wordpress/plugin/download' })).rawPayload;
  assert.match(Buffer.from(unzipSync(new Uint8Array(other))['agentdesk-chatbot/includes/class-agentdesk-updater.php']!).toString('utf8'), `const PUBLIC_KEY = '${publicKey}';`);
});

test('signs with PLUGIN_SIGNING_KEY when it is set', async (ctx) => {
  const seed = randomBytes(32).toString('base64');
  const configured = (await buildTestApp({ db: ctx.db, env: { PLUGIN_SIGNING_KEY: seed } })).app;
  try {
    const zip = await configured.inject({ method: 'GET', url: '/api/wordpress/plugin/download' });
    const updater = Buffer.from(unzipSync(new Uint8Array(zip.rawPayload))['agentdesk-chatbot/includes/class-agentdesk-updater.php']!).toString('utf8');
    // the zip carries that key's public half
    assert.match(updater, `const PUBLIC_KEY = '${pluginSigningKey(seed).publicKey}';`);
  } finally {
    await configured.close();
  }
});

test('announces a newer version when its plugin folder has one', async (ctx) => {
  const body = (await ctx.bumped.inject({ method: 'GET', url: '/api/wordpress/plugin/info' })).json();
  // the bumped header, and its changelog entry
  assert.is(body.version, '9.8.7');
  assert.match(body.changelog, '= 9.8.7 =');
});

test('serves the direct build as a zip WordPress can install: one agentdesk-chatbot/ folder, talking to this service', async (ctx) => {
  const response = await ctx.app.inject({ method: 'GET', url: '/api/wordpress/plugin/download' });
  // a zip attachment named with the version
  assert.is(response.statusCode, 200);
  assert.is(response.headers['content-type'], 'application/zip');
  assert.match(String(response.headers['content-disposition']), /attachment; filename="agentdesk-chatbot-\d+\.\d+\.\d+\.zip"/);
  const files = unzipSync(new Uint8Array(response.rawPayload));
  const names = Object.keys(files);
  // every entry inside the plugin's folder, uninstall.php byte for byte
  assert.ok(names.every((name) => name.startsWith('agentdesk-chatbot/')), names.join(', '));
  assert.equal(Buffer.from(files['agentdesk-chatbot/uninstall.php']!), readFileSync(path.join(DEFAULT_PLUGIN_DIR, 'uninstall.php')));
  // the readme's external-services section names this service's terms and privacy pages
  assert.match(Buffer.from(files['agentdesk-chatbot/readme.txt']!).toString('utf8'), `AgentDesk privacy policy: ${PUBLIC_URL}/privacy`);
  const main = Buffer.from(files['agentdesk-chatbot/agentdesk-chatbot.php']!).toString('utf8');
  // its default API URL is this service's PUBLIC_URL + /api, and it updates from here
  assert.match(main, `define( 'AGENTDESK_API_URL', '${PUBLIC_URL}/api' );`);
  assert.match(main, ` * Update URI:        ${PUBLIC_URL}/api/wordpress/plugin/info\n`);
  // the includes (updater too), uninstall.php, readme and translations template
  for (const name of ['includes/class-agentdesk-heartbeat.php', 'includes/class-agentdesk-updater.php', 'uninstall.php', 'readme.txt', 'languages/agentdesk-chatbot.pot']) {
    assert.ok(names.includes(`agentdesk-chatbot/${name}`), name);
  }
});

test('answers a conditional download with 304 and the same ETag', async (ctx) => {
  const first = await ctx.app.inject({ method: 'GET', url: '/api/wordpress/plugin/download' });
  const again = await ctx.app.inject({ method: 'GET', url: '/api/wordpress/plugin/download', headers: { 'if-none-match': String(first.headers.etag) } });
  // unchanged: no body
  assert.is(again.statusCode, 304);
  assert.is(again.headers.etag, first.headers.etag);
});

test('answers 503 with the error shape when the plugin folder is unreadable', async (ctx) => {
  const broken = (await buildTestApp({ db: ctx.db, pluginDir: path.join(os.tmpdir(), 'agentdesk-no-such-plugin') })).app;
  try {
    const response = await broken.inject({ method: 'GET', url: '/api/wordpress/plugin/info' });
    // an expected fault, not a 500
    assert.is(response.statusCode, 503);
    assert.is(response.json().success, false);
  } finally {
    await broken.close();
  }
});

test('serves widget.js as cacheable JavaScript that parses', async (ctx) => {
  const response = await ctx.app.inject({ method: 'GET', url: '/widget.js' });
  // JavaScript, cached for an hour, usable from any site
  assert.is(response.statusCode, 200);
  assert.is(response.headers['content-type'], 'text/javascript; charset=utf-8');
  assert.is(response.headers['cache-control'], 'public, max-age=3600');
  assert.is(response.headers['access-control-allow-origin'], '*');
  // valid script, and it reads the public config endpoint by widget key
  new vm.Script(response.body);
  assert.match(response.body, "'/bots/config/'");
  // small
  assert.ok(response.body.length < 8_000);
  const again = await ctx.app.inject({ method: 'GET', url: '/widget.js', headers: { 'if-none-match': String(response.headers.etag) } });
  // revalidation without a body
  assert.is(again.statusCode, 304);
});

test.run();
