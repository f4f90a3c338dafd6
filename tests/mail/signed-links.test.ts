// The signed links mails carry (src/mail/signed-links.ts): good for 90 days, and only under our own
// server secret.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { signLink, verifyLink } from '../../src/mail/signed-links.ts';

const DAY = 86_400_000;
const T = new Date('2026-01-05T10:00:00Z');
const at = (ms: number) => new Date(T.getTime() + ms);

const test = suite('signed links');

test('verifies its own signed links and rejects expired or foreign ones', () => {
  const userId = '00000000-0000-4000-8000-0000000000a1';
  const token = signLink('s'.repeat(40), { action: 'unsubscribe', userId }, T);
  const ok = verifyLink('s'.repeat(40), token, at(DAY));
  // good for 90 days
  assert.is(ok.ok && ok.claims.userId, userId);
  assert.equal(verifyLink('s'.repeat(40), token, at(91 * DAY)), { ok: false, reason: 'expired' });
  assert.equal(verifyLink('t'.repeat(40), token, at(DAY)), { ok: false, reason: 'bad_signature' });
  assert.equal(verifyLink('s'.repeat(40), 'a.b.c', at(DAY)), { ok: false, reason: 'malformed' });
});

test.run();
