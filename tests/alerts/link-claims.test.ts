// Signed links whose signature is good but whose claims are not the shape we issue (someone holding
// the server secret, or a future bug in the signer): every claim is checked after the signature, so
// such a link is a 400 "not valid" page, never a 500 or a database error.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { signClaims, signLink, verifyLink } from '../../src/mail/signed-links.ts';
import { findOwnedBot } from '../../src/db/bots.ts';
import { buildTestApp, createBotFor, createClock, createOwner } from '../helpers/app.ts';

type Ctx = Awaited<ReturnType<typeof buildTestApp>> & { secret: string; userId: string; botId: string };
const test = suite<Ctx>('signed link claims');

test.before(async (ctx) => {
  Object.assign(ctx, await buildTestApp({ clock: createClock() }));
  ctx.secret = await ctx.app.serverSecret.ensure();
  const owner = await createOwner(ctx.db);
  ctx.userId = owner.user.id;
  ctx.botId = (await createBotFor(ctx.db, owner.user.id)).bot.id;
});
test.after(async (ctx) => {
  await ctx.app.close();
});

const inAWeek = (ctx: Ctx) => Math.floor(ctx.clock.now().getTime() / 1000) + 7 * 86_400;

/** Claims a real link would carry, with one changed. */
function forged(ctx: Ctx): Record<string, Record<string, unknown>> {
  const mute = { action: 'mute', userId: ctx.userId, botId: ctx.botId, exp: inAWeek(ctx), nonce: 'abcdefghijkl' };
  const unsubscribe = { action: 'unsubscribe', userId: ctx.userId, exp: inAWeek(ctx), nonce: 'abcdefghijkl' };
  const attentionOff = { action: 'attention_off', userId: ctx.userId, kind: 'not_production', exp: inAWeek(ctx), nonce: 'abcdefghijkl' };
  return {
    'an attention opt-out for a kind that does not exist': { ...attentionOff, kind: 'everything' },
    'an attention opt-out without its kind': { ...attentionOff, kind: undefined },
    'a kind on a mute link': { ...mute, kind: 'not_production' },
    'an expiry past any date (exp 9e15)': { ...mute, exp: 9e15 },
    'an expiry further ahead than any link lives': { ...mute, exp: inAWeek(ctx) + 365 * 86_400 },
    'a fractional expiry': { ...mute, exp: inAWeek(ctx) + 0.5 },
    'an expiry as a string': { ...mute, exp: String(inAWeek(ctx)) },
    'a bot id that is not a UUID': { ...mute, botId: 'not-a-uuid' },
    'a NUL in the bot id': { ...mute, botId: `${ctx.botId}\u0000` },
    'a user id that is not a UUID': { ...mute, userId: '1 OR 1=1' },
    'a NUL in the user id': { ...unsubscribe, userId: `\u0000${ctx.userId}` },
    'a user id that is a number': { ...unsubscribe, userId: 42 },
    'a bot id on an unsubscribe link that is not a UUID': { ...unsubscribe, botId: 'x' },
    'a missing nonce': { ...mute, nonce: undefined },
    'a nonce that is an object': { ...mute, nonce: { a: 1 } },
    'an unknown claim': { ...mute, admin: true },
    'claims that are an array': [mute] as unknown as Record<string, unknown>,
  };
}

test('every claim is checked after the signature: a good signature over a bad claim does not verify', (ctx) => {
  for (const [name, claims] of Object.entries(forged(ctx))) {
    // refused as malformed, like any invalid link
    assert.equal(verifyLink(ctx.secret, signClaims(ctx.secret, claims), ctx.clock.now()), { ok: false, reason: 'malformed' }, name);
  }
  // the links we issue still verify
  assert.ok(verifyLink(ctx.secret, signLink(ctx.secret, { action: 'mute', userId: ctx.userId, botId: ctx.botId }, ctx.clock.now()), ctx.clock.now()).ok);
  assert.ok(verifyLink(ctx.secret, signLink(ctx.secret, { action: 'unsubscribe', userId: ctx.userId }, ctx.clock.now()), ctx.clock.now()).ok);
});

test('a signed link with a bad claim is a 400 "not valid" page on every link route, and changes nothing', async (ctx) => {
  for (const [name, claims] of Object.entries(forged(ctx))) {
    const token = signClaims(ctx.secret, claims);
    for (const method of ['GET', 'POST'] as const) {
      for (const path of ['/alerts/mute', '/alerts/unsubscribe', '/alerts/attention-off']) {
        const response = await ctx.app.inject({ method, url: `${path}?t=${token}` });
        // 400 with the plain words of an invalid link, never a 500
        assert.is(response.statusCode, 400, `${method} ${path}: ${name}`);
        assert.match(response.body, 'This link is not valid', `${method} ${path}: ${name}`);
      }
    }
  }
  // the bot is not muted
  assert.is((await findOwnedBot(ctx.db, ctx.userId, ctx.botId))?.muted_until, null);
});

test.run();
