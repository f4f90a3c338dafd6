import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeCursor, encodeCursor } from '../../src/domain/list-cursor.ts';

const test = suite('paged-list cursors');
const id = '0b6f3c2e-9d1a-4c55-8f0e-2a7b9c1d3e4f';

test('a cursor reads back as the position it was made from, microseconds included', () => {
  const position = { createdAtMicros: '1767607200123456', id };
  const cursor = encodeCursor(position);
  // opaque: URL-safe, and neither the time nor the id shows as such
  assert.match(cursor, /^[A-Za-z0-9_-]+$/);
  assert.not.ok(cursor.includes(id));
  assert.equal(decodeCursor(cursor), position);
});

test('text that is not a cursor this API made is refused, not guessed at', () => {
  const made = (text: string) => Buffer.from(text).toString('base64url');
  for (const bad of ['', 'not a cursor!', made('1767607200123456'), made(`12x.${id}`), made('1767607200123456.not-a-uuid'), made(`1.${id}.2`), 'A'.repeat(500)]) {
    assert.is(decodeCursor(bad), undefined, bad);
  }
});

test.run();
