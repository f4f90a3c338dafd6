// The fixed-window limit behind the heartbeat's per-token rate limit (src/http/window-limit.ts).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createWindowLimit } from '../../src/http/window-limit.ts';

function clock(start = Date.parse('2026-12-04T10:00:00Z')) {
  let at = start;
  return { now: () => new Date(at), advance: (ms: number) => (at += ms) };
}

test('allows max calls per key in a window, then answers the seconds left until it ends', () => {
  const time = clock();
  const limit = createWindowLimit({ max: 3, windowMs: 60_000, now: time.now });
  // three allowed
  assert.equal([limit.take('a'), limit.take('a'), limit.take('a')], [0, 0, 0]);
  time.advance(15_500);
  // the fourth waits for the rest of the window (44.5 s, rounded up), and waiting does not count
  assert.is(limit.take('a'), 45);
  assert.is(limit.take('a'), 45);
  // another key has its own budget
  assert.is(limit.take('b'), 0);
});

test('a new window starts once the old one has ended', () => {
  const time = clock();
  const limit = createWindowLimit({ max: 1, windowMs: 60_000, now: time.now });
  assert.is(limit.take('a'), 0);
  time.advance(59_999);
  assert.is(limit.take('a'), 1);
  time.advance(1);
  // the window ended exactly now: allowed again, and refused again after that
  assert.is(limit.take('a'), 0);
  assert.is(limit.take('a'), 60);
});

test('expired windows are dropped as new ones start, so memory follows the keys of the last window', () => {
  const time = clock();
  const limit = createWindowLimit({ max: 5, windowMs: 60_000, now: time.now });
  for (let i = 0; i < 1000; i++) limit.take(`old${i}`);
  assert.is(limit.size, 1000);
  time.advance(60_000);
  limit.take('new');
  // all 1000 had expired: only the new key is held
  assert.is(limit.size, 1);
});

test('past maxKeys the oldest windows are forgotten, never more than maxKeys held', () => {
  const time = clock();
  const limit = createWindowLimit({ max: 1, windowMs: 60_000, now: time.now, maxKeys: 100 });
  for (let i = 0; i < 250; i++) {
    limit.take(`k${i}`);
    time.advance(10);
  }
  assert.is(limit.size, 100);
  // the newest key is still limited; the oldest was forgotten and starts afresh
  assert.ok(limit.take('k249') > 0);
  assert.is(limit.take('k0'), 0);
});

test.run();
