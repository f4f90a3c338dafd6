// docs/RELIABILITY.md "Abuse": a used single-use mute link cannot be used again by spelling its token
// differently (padding, the other base64 alphabet, unused low bits, stray characters), although
// every such spelling decodes to the very same bytes.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { signLink, verifyLink } from '../../src/mail/signed-links.ts';
import { findOwnedBot } from '../../src/db/bots.ts';
import { STALE_AFTER_MS, type AlertHarness, type SmtpSink, useAlertSuite } from './alert-harness.ts';

type Ctx = { h: AlertHarness; smtp: SmtpSink };
const test = suite<Ctx>('mute link spellings');
useAlertSuite(test);

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const decode = (token: string) => token.split('.').map((part) => Buffer.from(part, 'base64url').toString('hex')).join('.');

/** Other spellings of a token that a lenient base64 decoder reads as the same bytes. */
function respellings(token: string): Record<string, string> {
  const [body, signature] = token.split('.') as [string, string];
  const last = signature.at(-1)!;
  // 32 bytes take 43 characters: the last one carries 2 unused low bits
  const lowBits = ALPHABET[ALPHABET.indexOf(last) ^ 1]!;
  const standard = (part: string) => part.replace(/-/g, '+').replace(/_/g, '/');
  return {
    padding: `${body}.${signature}=`,
    'padded body': `${body}${'='.repeat((4 - (body.length % 4)) % 4 || 4)}.${signature}`,
    'standard alphabet': `${standard(body)}.${standard(signature)}`,
    'unused low bits': `${body}.${signature.slice(0, -1)}${lowBits}`,
    'stray character': `${body}.${signature.slice(0, 10)}!${signature.slice(10)}`,
  };
}

test('every other spelling of a link decodes to the same bytes but is refused as invalid', async ({ h }) => {
  const secret = await h.app.serverSecret.ensure();
  const token = signLink(secret, { action: 'mute', userId: '00000000-0000-4000-8000-000000000000', botId: '00000000-0000-4000-8000-000000000001' }, h.clock.now());
  // the issued spelling verifies
  assert.ok(verifyLink(secret, token, h.clock.now()).ok);
  for (const [name, variant] of Object.entries(respellings(token))) {
    if (variant === token) continue;
    // the same bytes...
    assert.is(decode(variant), decode(token), name);
    // ...but not the spelling we issued
    assert.equal(verifyLink(secret, variant, h.clock.now()), { ok: false, reason: 'malformed' }, name);
  }
});

test('a used mute link stays used whatever its spelling', async ({ h, smtp }) => {
  const owner = await h.owner();
  const { bot } = await h.connectedBot(owner.id, 'Spelled');
  h.clock.advance(STALE_AFTER_MS + 60_000);
  await h.sweepAndDeliver();
  const token = /\/alerts\/mute\?t=([\w.\-]+)/.exec(smtp.received.at(-1)!.text)![1]!;
  const first = await h.app.inject({ method: 'POST', url: `/alerts/mute?t=${token}` });
  // the link works once
  assert.is(first.statusCode, 200);
  const until = (await findOwnedBot(h.db, owner.id, bot.id))?.muted_until?.getTime();
  h.clock.advance(3_600_000);
  for (const [name, variant] of Object.entries(respellings(token))) {
    if (variant === token) continue;
    const again = await h.app.inject({ method: 'POST', url: `/alerts/mute?t=${encodeURIComponent(variant)}` });
    // refused (400 invalid link), and the mute is not extended
    assert.is(again.statusCode, 400, name);
    assert.is((await findOwnedBot(h.db, owner.id, bot.id))?.muted_until?.getTime(), until, name);
  }
});

test.run();
