import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ConfigError, loadConfig } from '../src/config.ts';

const test = suite('configuration');

test('defaults give a working zero-setup service', () => {
  const config = loadConfig({});
  // embedded database under ./data, loopback port 3000, 10 minutes to stale
  assert.is(config.databaseUrl, undefined);
  assert.is(config.dataDir, path.resolve('data'));
  assert.is(config.host, '127.0.0.1');
  assert.is(config.port, 3000);
  assert.is(config.staleAfterMs, 600_000);
  assert.is(config.publicUrl, 'http://127.0.0.1:3000');
  assert.is(config.heartbeatRateLimit, 30);
  // prepared statements unless a pooler answers
  assert.is(config.databasePrepared, 'auto');
  assert.is(loadConfig({ DATABASE_PREPARED: 'OFF' }).databasePrepared, 'off');
});

test('reads durations, URLs and numbers', () => {
  const config = loadConfig({
    STALE_AFTER: '90s',
    ALERT_REPEAT: '12h',
    PUBLIC_URL: 'https://agentdesk.example.com/',
    DATABASE_URL: 'postgres://u:p@db:5432/agentdesk',
    PORT: '8080',
    STORM_FRACTION: '0.25',
  });
  // each parsed into its type
  assert.is(config.staleAfterMs, 90_000);
  assert.is(config.alertRepeatMs, 43_200_000);
  assert.is(config.publicUrl, 'https://agentdesk.example.com');
  assert.is(config.port, 8080);
  assert.is(config.stormFraction, 0.25);
});

test('probing is on by default, fenced, with the documented timings', () => {
  const config = loadConfig({});
  // on, 2 minutes to confirm, 10 s per request, 20 at once, no extra port, private addresses refused
  assert.is(config.probe, true);
  assert.is(config.probeConfirmMs, 120_000);
  assert.is(config.probeTimeoutMs, 10_000);
  assert.equal(config.probePorts, []);
  assert.is(config.probeConcurrency, 20);
  assert.is(config.probeAllowPrivate, false);
});

test('reads the probe settings', () => {
  const config = loadConfig({ PROBE: 'off', PROBE_CONFIRM: '90s', PROBE_TIMEOUT: '5s', PROBE_PORTS: '8080, 8443,8080', PROBE_CONCURRENCY: '4', PROBE_ALLOW_PRIVATE: 'true' });
  // each in its type; repeated ports once
  assert.is(config.probe, false);
  assert.is(config.probeConfirmMs, 90_000);
  assert.is(config.probeTimeoutMs, 5_000);
  assert.equal(config.probePorts, [8080, 8443]);
  assert.is(config.probeConcurrency, 4);
  assert.is(config.probeAllowPrivate, true);
});

test('groups alerts over 5 minutes by default; 0 sends at the sweep; more than an hour is refused', () => {
  // the plugin's heartbeat interval by default
  assert.is(loadConfig({}).alertGroupWindowMs, 300_000);
  // 0 (or 0s) keeps one digest per sweep
  assert.is(loadConfig({ ALERT_GROUP_WINDOW: '0' }).alertGroupWindowMs, 0);
  assert.is(loadConfig({ ALERT_GROUP_WINDOW: '0s' }).alertGroupWindowMs, 0);
  assert.is(loadConfig({ ALERT_GROUP_WINDOW: '90s' }).alertGroupWindowMs, 90_000);
  // a window longer than an hour, or not a duration, names the variable
  assert.throws(() => loadConfig({ ALERT_GROUP_WINDOW: '2h' }), (error: unknown) => error instanceof ConfigError && /ALERT_GROUP_WINDOW.*at most 1h/.test(error.message));
  assert.throws(() => loadConfig({ ALERT_GROUP_WINDOW: 'soon' }), (error: unknown) => error instanceof ConfigError && /ALERT_GROUP_WINDOW/.test(error.message));
});

test('writes one heartbeat batch at a time by default, more when asked, never none', () => {
  assert.is(loadConfig({}).heartbeatWriteConcurrency, 1);
  assert.is(loadConfig({ HEARTBEAT_WRITE_CONCURRENCY: '4' }).heartbeatWriteConcurrency, 4);
  for (const bad of ['0', '65', 'two']) {
    assert.throws(() => loadConfig({ HEARTBEAT_WRITE_CONCURRENCY: bad }), (error: unknown) => error instanceof ConfigError && /HEARTBEAT_WRITE_CONCURRENCY/.test(error.message), bad);
  }
});

test('each bad value names the variable and what it expects', () => {
  const cases: Array<[Record<string, string>, RegExp]> = [
    [{ PORT: 'eighty' }, /PORT="eighty": expected an integer from 0 to 65535/],
    [{ PORT: '70000' }, /PORT="70000"/],
    [{ STALE_AFTER: '10 minutes' }, /STALE_AFTER="10 minutes": expected a duration/],
    [{ STALE_AFTER: '0s' }, /STALE_AFTER="0s"/],
    [{ DATABASE_URL: 'mysql://x' }, /DATABASE_URL="mysql:\/\/x": expected a URL starting with postgres: or postgresql:/],
    [{ PUBLIC_URL: 'ftp://x' }, /PUBLIC_URL/],
    [{ LOG_LEVEL: 'loud' }, /LOG_LEVEL="loud": expected one of fatal, error/],
    [{ SIGNUP: 'maybe' }, /SIGNUP="maybe": expected one of open, verify, closed/],
    [{ DATABASE_PREPARED: 'sometimes' }, /DATABASE_PREPARED="sometimes": expected one of auto, on, off/],
    [{ STORM_FRACTION: '2' }, /STORM_FRACTION="2"/],
    [{ TRUST_PROXY: 'perhaps' }, /TRUST_PROXY="perhaps": expected false, a hop count/],
    [{ TRUST_PROXY: '10.0.0.1,10.0.0.300' }, /TRUST_PROXY="10.0.0.1,10.0.0.300"/],
    [{ TRUST_PROXY: '10.0.0.0/33' }, /TRUST_PROXY/],
    [{ REQUEST_TIMEOUT: '0s' }, /REQUEST_TIMEOUT="0s"/],
    [{ AUTH_FAILURE_LIMIT: '0' }, /AUTH_FAILURE_LIMIT="0"/],
    [{ SECRET_KEY: 'short' }, /SECRET_KEY="\(hidden\)": expected at least 32 characters/],
    // the key is never echoed; 31 bytes is not an Ed25519 seed
    [{ PLUGIN_SIGNING_KEY: 'not-a-key' }, /PLUGIN_SIGNING_KEY="\(hidden\)": expected an Ed25519 seed: 32 random bytes in base64/],
    [{ PLUGIN_SIGNING_KEY: Buffer.alloc(31, 1).toString('base64') }, /PLUGIN_SIGNING_KEY="\(hidden\)"/],
    [{ OPERATOR_EMAIL: 'ops' }, /OPERATOR_EMAIL="ops": expected an email address/],
    [{ SMTP_URL: 'http://mail' }, /SMTP_URL/],
    [{ SWEEP_CRON: '* *' }, /SWEEP_CRON="\* \*"/],
    // a field out of range fails at start, not when the alert jobs schedule it
    [{ SWEEP_CRON: '61 * * * *' }, /SWEEP_CRON="61 \* \* \* \*"/],
    [{ PROBE: 'sometimes' }, /PROBE="sometimes": expected true or false/],
    [{ PROBE_CONFIRM: 'soon' }, /PROBE_CONFIRM="soon": expected a duration/],
    [{ PROBE_TIMEOUT: '0s' }, /PROBE_TIMEOUT="0s"/],
    [{ PROBE_PORTS: '8080,http' }, /PROBE_PORTS="8080,http": expected a comma-separated list of ports/],
    [{ PROBE_PORTS: '70000' }, /PROBE_PORTS="70000"/],
    [{ PROBE_CONCURRENCY: '0' }, /PROBE_CONCURRENCY="0": expected an integer from 1/],
    [{ PROBE_ALLOW_PRIVATE: 'maybe' }, /PROBE_ALLOW_PRIVATE="maybe": expected true or false/],
  ];
  for (const [env, message] of cases) {
    // a ConfigError with a precise message
    assert.throws(() => loadConfig(env), (error: Error) => error instanceof ConfigError && message.test(error.message), JSON.stringify(env));
  }
});

test('the legal pages: built in by default, an HTML file read once, or a URL; a bad setting names itself', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'agentdesk-config-'));
  try {
    const file = path.join(dir, 'privacy.html');
    const empty = path.join(dir, 'empty.html');
    writeFileSync(file, '<p>Our policy</p>');
    writeFileSync(empty, ' \n');
    // the built-in text unless something is set
    assert.equal(loadConfig({}).legalPages, { terms: { source: 'default' }, privacy: { source: 'default' } });
    // a file's text is read at start; a URL is kept as given
    const config = loadConfig({ PRIVACY_FILE: file, TERMS_URL: 'https://operator.example/terms' });
    assert.equal(config.legalPages.privacy, { source: 'file', path: file, html: '<p>Our policy</p>' });
    assert.equal(config.legalPages.terms, { source: 'url', url: 'https://operator.example/terms' });
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ TERMS_FILE: path.join(dir, 'missing.html') }, /TERMS_FILE=".*missing\.html": expected a readable file holding an HTML fragment \(ENOENT\)/],
      [{ PRIVACY_FILE: dir }, /PRIVACY_FILE=.*\(EISDIR\)/],
      [{ PRIVACY_FILE: empty }, /PRIVACY_FILE=.*not an empty one/],
      [{ TERMS_URL: '/terms.html' }, /TERMS_URL="\/terms.html": expected a URL starting with http: or https:/],
      [{ PRIVACY_URL: 'ftp://operator.example/privacy' }, /PRIVACY_URL=/],
      [{ TERMS_FILE: file, TERMS_URL: 'https://operator.example/terms' }, /TERMS_FILE=.*to be unset while TERMS_URL is set/],
    ];
    for (const [env, message] of cases) {
      // a ConfigError naming the variable
      assert.throws(() => loadConfig(env), (error: Error) => error instanceof ConfigError && message.test(error.message), JSON.stringify(env));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('TRUST_PROXY takes a hop count or a list of proxies, not only true or false', () => {
  // nothing trusted by default; a hop count; a list of addresses, CIDRs and names; true still means every hop
  assert.is(loadConfig({}).trustProxy, false);
  assert.is(loadConfig({ TRUST_PROXY: '2' }).trustProxy, 2);
  assert.equal(loadConfig({ TRUST_PROXY: '10.0.0.5, 172.16.0.0/12,::1,loopback' }).trustProxy, ['10.0.0.5', '172.16.0.0/12', '::1', 'loopback']);
  assert.is(loadConfig({ TRUST_PROXY: 'true' }).trustProxy, true);
  assert.is(loadConfig({ TRUST_PROXY: 'off' }).trustProxy, false);
});

test('a password in DATABASE_URL never appears in the error', () => {
  // the secret is redacted
  assert.throws(
    () => loadConfig({ DATABASE_URL: 'mysql://admin:hunter2@db/x' }),
    (error: Error) => !error.message.includes('hunter2') && error.message.includes('admin:***@'),
  );
});

test('the service refuses to start on a bad variable, naming it', () => {
  const root = path.resolve(import.meta.dirname, '..');
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', PORT: 'eighty' },
    encoding: 'utf8',
  });
  // exit 1 with the variable in the message
  assert.is(result.status, 1);
  assert.match(result.stderr, /PORT="eighty"/);
});

test.run();
