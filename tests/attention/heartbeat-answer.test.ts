// The items a heartbeat is answered with (docs/attention.md, "In WordPress"): shared by sites that
// report the same values, and judged again when the day or the version table changes.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createAttentionService } from '../../src/attention/attention-service.ts';
import { createVersionTables, loadShippedTable } from '../../src/attention/version-tables.ts';
import { heartbeatFacts } from '../../src/domain/attention.ts';
import { NO_SITE_HEALTH } from '../../src/domain/heartbeat-input.ts';

const test = suite('the heartbeat answer\'s attention items');

test('the same values give the same answer; a new day judges PHP support again', () => {
  let now = new Date('2025-12-31T23:00:00Z');
  const tables = createVersionTables({ shipped: loadShippedTable(), releasesUrl: undefined, log: { warn() {} } });
  const service = createAttentionService({ tables, latestPluginVersion: '1.2.0', now: () => now });
  const facts = (php: string) => heartbeatFacts({ pluginVersion: '1.2.0', wpVersion: '6.9', health: { ...NO_SITE_HEALTH, phpVersion: php } }, now);
  // PHP 8.1's security support ends with 2025-12-31 (the shipped table)
  assert.equal(service.answerFor(facts('8.1.30')), []);
  assert.is(service.answerFor(facts('8.1.30')), service.answerFor(facts('8.1.30')), 'one answer shared');
  now = new Date('2026-01-01T00:30:00Z');
  assert.equal(service.answerFor(facts('8.1.30')).map((item) => item.kind), ['php_unsupported']);
  // another site on another version has its own answer
  assert.equal(service.answerFor(facts('8.3.1')), []);
  // an answer holds kind, detail and next step only
  assert.equal(Object.keys(service.answerFor(facts('8.1.30'))[0]!).sort(), ['detail', 'kind', 'next_step']);
});

test.run();
