import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { formatDuration, parseDuration } from '../../src/domain/duration.ts';

const test = suite('durations');

test('parses the units owners write', () => {
  // seconds, minutes, hours, days, milliseconds and combinations
  assert.is(parseDuration('90s'), 90_000);
  assert.is(parseDuration('10m'), 600_000);
  assert.is(parseDuration('1h'), 3_600_000);
  assert.is(parseDuration('7d'), 604_800_000);
  assert.is(parseDuration('250ms'), 250);
  assert.is(parseDuration('1h30m'), 5_400_000);
});

test('rejects what is not a duration', () => {
  // bare numbers, words, spaces inside and unknown units
  for (const text of ['', '10', 'ten minutes', '10 m', '5y', 'm10', '-5m']) assert.is(parseDuration(text), null, text);
});

test('formats with the two largest units', () => {
  // readable in an email
  assert.is(formatDuration(0), '0 seconds');
  assert.is(formatDuration(60_000), '1 minute');
  assert.is(formatDuration(3 * 3_600_000 + 25 * 60_000 + 10_000), '3 hours 25 minutes');
  assert.is(formatDuration(2 * 86_400_000 + 3_600_000), '2 days 1 hour');
});

test.run();
