// The email rule (src/domain/email-address.ts) and its SQL twin email_key() (sql/170_email_normalization.sql).
import fs from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Database } from '../../src/db/database.ts';
import { emailKey, INVISIBLE_RANGES, parseEmail } from '../../src/domain/email-address.ts';
import { testDatabase } from '../helpers/database.ts';

const test = suite<{ db: Database }>('email addresses: one rule in the domain and in SQL');

test.before(async (ctx) => {
  ctx.db = await testDatabase();
});

const value = (raw: string) => {
  const parsed = parseEmail(raw);
  return parsed.ok ? parsed.value : `refused: ${parsed.message}`;
};

test('look-alikes of a@example.com are that address, or refused with a message naming the field', () => {
  // full-width letters and at-sign become the plain ones (NFKC)
  assert.is(value('ａ@example.com'), 'a@example.com');
  assert.is(value('a＠ｅｘａｍｐｌｅ.com'), 'a@example.com');
  // the domain's trailing dot is the same host
  assert.is(value('a@example.com.'), 'a@example.com');
  // upper case anywhere is lower-cased, as the service always stored addresses
  assert.is(value(' A@Example.COM '), 'a@example.com');
  // invisible characters are refused, not stripped
  assert.is(value('a@example.com\u200b'), 'refused: email must not contain invisible characters such as zero-width spaces');
  assert.is(value('a\u2060@example.com'), 'refused: email must not contain invisible characters such as zero-width spaces');
  assert.is(value('\ufeffa@example.com'), 'refused: email must not contain invisible characters such as zero-width spaces');
  // control characters, C1 included, are refused
  assert.is(value('a@example.com\u0000'), 'refused: email must not contain control characters');
  assert.is(value('a@exa\u0085mple.com'), 'refused: email must not contain control characters');
});

test('only addresses of a plausible shape pass', () => {
  for (const bad of ['', 'a', 'a@b', 'a@@b.c', 'a@b..c', 'a@.b.c', 'a@b.c..', 'a b@c.d', '<a@b.c>', 'a@b.c,d@e.f', 'a@[127.0.0.1]']) {
    // a 400 naming the field
    assert.is(parseEmail(bad).ok, false, JSON.stringify(bad));
  }
  // at most 254 characters once normalized
  assert.is(parseEmail(`${'a'.repeat(243)}@example.com`).ok, false);
  assert.is(parseEmail(`${'a'.repeat(242)}@example.com`).ok, true);
  // the field and the example follow the caller
  assert.equal(parseEmail('nope', 'target', 'ops@example.com'), { ok: false, message: 'target must be an email address such as ops@example.com' });
});

test('email_key() in SQL gives every address the key the domain gives it', async ({ db }) => {
  const samples = [
    'a@example.com',
    'A@EXAMPLE.COM.',
    'ａ@example.com',
    'a＠ｅｘａｍｐｌｅ．ｃｏｍ',
    'a@example.com\u200b',
    '\u200da\u00ad@exam\ufeffple.com',
    '  spaced@example.com  ',
    'İnci@örnek.com.tr',
    'ΟΔΥΣΣΕΥΣ@example.gr',
    'ﬃ@example.com',
    'Straße@example.de',
    'x@example.com..',
  ];
  const { rows } = await db.query<{ raw: string; key: string }>('SELECT raw, email_key(raw) AS key FROM unnest($1::text[]) AS raw', [samples]);
  for (const row of rows) {
    // the same key in both languages
    assert.is(row.key, emailKey(row.raw), JSON.stringify(row.raw));
  }
});

test('the migration strips the same invisible characters the domain refuses', () => {
  const sql = fs.readFileSync(new URL('../../sql/170_email_normalization.sql', import.meta.url), 'utf8');
  // one list of ranges, written in both places
  assert.ok(sql.includes(`[${INVISIBLE_RANGES}]`));
});

test.run();
