// The attention rules, one row per kind and boundary: facts in, the kinds (and their since) out.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { attentionItems, phpSupportEnd, type AttentionFacts } from '../../src/domain/attention.ts';
import { parseVersionSupport, type VersionSupport } from '../../src/domain/version-support.ts';

const test = suite('attention rules');

const now = new Date('2026-12-04T12:00:00Z');
const seen = new Date('2026-12-04T11:58:00Z');
const first = new Date('2026-11-01T00:00:00Z');

const parsed = parseVersionSupport({
  as_of: '2026-12-01',
  wordpress: { latest_branch: '6.9', oldest_branch_with_security_fixes: '6.1' },
  php: [
    { branch: '7.4', security_support_until: '2022-11-28' },
    { branch: '8.1', security_support_until: '2025-12-31' },
    { branch: '8.2', security_support_until: '2026-12-04' },
    { branch: '8.3', security_support_until: '2027-12-31' },
  ],
});
if (!parsed.ok) throw new Error(parsed.message);
const tables: VersionSupport = parsed.value;

/** A healthy, current production site that reported at `seen`; rows change one fact. */
function facts(overrides: Partial<AttentionFacts> = {}): AttentionFacts {
  return {
    is_active: true,
    wordpress_last_activity: seen,
    wordpress_plugin_version: '1.2.0',
    wordpress_plugin_version_since: first,
    wordpress_wp_version: '6.1.9',
    wordpress_wp_version_since: first,
    wordpress_php_version: '8.3.1',
    wordpress_php_version_since: first,
    wordpress_cron_mode: 'wp-cron',
    wordpress_cron_mode_since: first,
    wordpress_cron_overdue_events: 0,
    wordpress_cron_oldest_overdue_seconds: 0,
    wordpress_environment: 'production',
    wordpress_environment_since: first,
    ...overrides,
  };
}

const kinds = (bot: AttentionFacts, at = now, { latestPluginVersion = '1.2.0' as string | undefined } = {}) =>
  attentionItems(bot, { tables, latestPluginVersion, now: at }).map((item) => item.kind);

const rows: Array<[string, Partial<AttentionFacts>, string[], Date?, string?]> = [
  ['a healthy, current production site needs nothing', {}, []],
  ['a 1.1 plugin that reported no site-health facts is judged on its versions only', { wordpress_php_version: null, wordpress_cron_mode: null, wordpress_environment: null, wordpress_plugin_version: '1.1.0' }, ['plugin_outdated']],
  ['plugin one patch behind the served release is outdated', { wordpress_plugin_version: '1.1.9' }, ['plugin_outdated']],
  ['plugin on the served release is not', { wordpress_plugin_version: '1.2.0' }, []],
  ['plugin newer than the served release (a beta) is not', { wordpress_plugin_version: '1.10.0' }, []],
  ['WordPress on the oldest branch with security fixes is fine', { wordpress_wp_version: '6.1' }, []],
  ['WordPress one branch older is outdated', { wordpress_wp_version: '6.0.11' }, ['wordpress_outdated']],
  ['WordPress much older is outdated', { wordpress_wp_version: '4.9.26' }, ['wordpress_outdated']],
  ['PHP on its last day of security support is fine', { wordpress_php_version: '8.2.36' }, [], new Date('2026-12-04T23:59:59Z')],
  ['PHP the day after is unsupported', { wordpress_php_version: '8.2.36' }, ['php_unsupported'], new Date('2026-12-05T00:00:00Z')],
  ['PHP older than every row of the table is unsupported', { wordpress_php_version: '5.6.40' }, ['php_unsupported']],
  ['PHP newer than every row of the table is not judged', { wordpress_php_version: '9.0.0' }, []],
  ['cron disabled', { wordpress_cron_mode: 'disabled', wordpress_cron_oldest_overdue_seconds: 7200, wordpress_cron_overdue_events: 4 }, ['cron_disabled']],
  ['events overdue exactly an hour are not yet a problem', { wordpress_cron_oldest_overdue_seconds: 3600, wordpress_cron_overdue_events: 2 }, []],
  ['events overdue for over an hour are', { wordpress_cron_oldest_overdue_seconds: 3601, wordpress_cron_overdue_events: 2 }, ['cron_overdue']],
  ['a system cron that stopped is overdue too', { wordpress_cron_mode: 'system', wordpress_cron_oldest_overdue_seconds: 9000, wordpress_cron_overdue_events: 1 }, ['cron_overdue']],
  ['staging is not production', { wordpress_environment: 'staging' }, ['not_production']],
  ['local and development are not production', { wordpress_environment: 'development' }, ['not_production']],
  ['a bot switched off in AgentDesk gets no items', { is_active: false, wordpress_environment: 'staging' }, []],
  ['a bot that never reported gets no items', { wordpress_last_activity: null, wordpress_plugin_version: null, wordpress_wp_version: null }, []],
  [
    'several at once come in the order of the kinds',
    { wordpress_plugin_version: '1.0.0', wordpress_wp_version: '5.9', wordpress_php_version: '7.4.33', wordpress_cron_mode: 'disabled', wordpress_environment: 'local' },
    ['plugin_outdated', 'wordpress_outdated', 'php_unsupported', 'cron_disabled', 'not_production'],
  ],
];

for (const [sentence, overrides, expected, at] of rows) {
  test(sentence, () => {
    // the kinds that hold for these facts
    assert.equal(kinds(facts(overrides), at ?? now), expected);
  });
}

test('without a served release the plugin is not judged', () => {
  // nothing to compare with
  assert.equal(
    attentionItems(facts({ wordpress_plugin_version: '0.1.0' }), { tables, latestPluginVersion: undefined, now }).map((item) => item.kind),
    [],
  );
});

test('each item has one sentence and one next step', () => {
  const items = attentionItems(
    facts({ wordpress_plugin_version: '1.0.0', wordpress_wp_version: '5.9', wordpress_php_version: '7.4.33', wordpress_cron_mode: 'disabled', wordpress_environment: 'staging' }),
    { tables, latestPluginVersion: '1.2.0', now },
  );
  for (const item of items) {
    // a sentence each, ending in a full stop, naming no internal column
    assert.match(item.detail, /^[A-Z].*\.$/, item.kind);
    assert.match(item.next_step, /^[A-Z].*\.$/, item.kind);
    assert.not.match(item.detail, /wordpress_/, item.kind);
  }
  // the details say the versions involved
  assert.match(items[0]!.detail, /1\.0\.0.*1\.2\.0/);
  assert.match(items[2]!.detail, /PHP 7\.4\.33 stopped getting security fixes on 2022-11-28/);
  assert.match(items[2]!.next_step, /8\.2 or later/);
});

test('since: when the site started reporting the value, or when support ended if later', () => {
  const items = attentionItems(
    facts({ wordpress_environment: 'staging', wordpress_php_version: '8.2.1', wordpress_php_version_since: first }),
    { tables, latestPluginVersion: '1.2.0', now: new Date('2026-12-10T00:00:00Z') },
  );
  const since = Object.fromEntries(items.map((item) => [item.kind, item.since.toISOString()]));
  // the environment since the site first reported it
  assert.is(since.not_production, first.toISOString());
  // PHP since its support ended, after the site moved to it
  assert.is(since.php_unsupported, '2026-12-04T23:59:59.999Z');
});

test('since of cron_overdue: the moment the oldest event became an hour late', () => {
  const [item] = attentionItems(facts({ wordpress_cron_oldest_overdue_seconds: 5400, wordpress_cron_overdue_events: 3 }), { tables, latestPluginVersion: '1.2.0', now });
  // reported at 11:58 as 90 minutes late: an hour late at 11:28
  assert.is(item?.since.toISOString(), '2026-12-04T11:28:00.000Z');
  assert.is(item?.detail, '3 scheduled tasks are overdue, the oldest by 1 h 30 min.');
});

test('the shipped table parses, is dated, and knows the PHP branches the plugin runs on', () => {
  const shipped = parseVersionSupport(JSON.parse(readFileSync(new URL('../../releases/version-support.json', import.meta.url), 'utf8')));
  // a valid table with its date
  assert.ok(shipped.ok, shipped.ok ? '' : shipped.message);
  if (!shipped.ok) return;
  assert.ok(shipped.value.asOf.getTime() > Date.parse('2025-01-01'));
  // PHP 7.4 (the plugin's minimum) is past its end; 8.3 is not, on the table's own date
  assert.ok(phpSupportEnd('7.4.33', shipped.value)!.getTime() < shipped.value.asOf.getTime());
  assert.ok(phpSupportEnd('8.3.0', shipped.value)!.getTime() > shipped.value.asOf.getTime());
});

test('a malformed table is refused with a message naming the field', () => {
  // each mistake named
  assert.equal(parseVersionSupport([]), { ok: false, message: 'the table must be a JSON object' });
  assert.equal(parseVersionSupport({ as_of: 'yesterday' }), { ok: false, message: 'as_of must be a date such as 2025-12-03' });
  const noPhp = parseVersionSupport({ as_of: '2026-01-01', wordpress: { latest_branch: '6.9', oldest_branch_with_security_fixes: '4.7' }, php: [{ branch: '8', security_support_until: '2026-01-01' }] });
  assert.equal(noPhp, { ok: false, message: 'php[0].branch must be a branch such as 8.2' });
});

test.run();
