import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  alertGroupKey,
  attentionDigestKey,
  channelNotificationKey,
  channelRowKey,
  channelTestKey,
  contactVerificationKey,
  incidentMailKey,
  maintenanceEndingKey,
  ownerDigestKey,
  signupConfirmationKey,
  siteNotificationKey,
} from '../../src/domain/alert-keys.ts';

const test = suite('alert dedupe keys keep the exact bytes stored rows already carry');

const BOT = '3f2c1b7e-9a4d-4c1e-8f00-1234567890ab';
const OWNER = '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
const CHANNEL = 'c0ffee00-1111-4222-8333-444455556666';

test('a site notification is kind, bot and episode, a reminder adding its number', () => {
  assert.is(siteNotificationKey('stale', BOT, 42), `stale:${BOT}:42`);
  assert.is(siteNotificationKey('recovery', BOT, 42), `recovery:${BOT}:42`);
  assert.is(siteNotificationKey('reminder', BOT, 42, 3), `reminder:${BOT}:42:3`);
  // reminder number 0 still counts as a number
  assert.is(siteNotificationKey('reminder', BOT, 42, 0), `reminder:${BOT}:42:0`);
});

test('an owner digest and a channel row are named by their first notification', () => {
  assert.is(ownerDigestKey('stale', OWNER, `stale:${BOT}:42`), `stale:${OWNER}:stale:${BOT}:42`);
  assert.is(channelRowKey('recovery', CHANNEL, `recovery:${BOT}:42`), `recovery:ch:${CHANNEL}:recovery:${BOT}:42`);
  assert.is(channelNotificationKey(`stale:${BOT}:42`, CHANNEL), `stale:${BOT}:42:ch:${CHANNEL}`);
});

test('operator, maintenance, sign-up, contact and test mails keep their shapes', () => {
  assert.is(incidentMailKey(7, 'opened'), 'incident:7:opened');
  assert.is(incidentMailKey(7, 'resolved'), 'incident:7:resolved');
  const until = new Date('2026-03-01T12:00:00.000Z');
  assert.is(
    maintenanceEndingKey(OWNER, [
      { botId: BOT, until },
      { botId: CHANNEL, until: new Date(until.getTime() + 1) },
    ]),
    `maintenance_ending:${OWNER}:${BOT}@1772366400000,${CHANNEL}@1772366400001`,
  );
  assert.is(signupConfirmationKey(OWNER, new Date('2026-03-01T12:00:00Z')), `signup_confirmation:${OWNER}:2026-03-01T12:00:00.000Z`);
  assert.is(contactVerificationKey('abc'), 'verify:abc');
  assert.is(channelTestKey('abc'), 'test:abc');
});

test('an alert group is named by kind and owner, or kind and channel', () => {
  assert.is(alertGroupKey('stale', { ownerId: OWNER }), `stale:${OWNER}`);
  assert.is(alertGroupKey('recovery', { channelId: CHANNEL }), `recovery:ch:${CHANNEL}`);
});

test('a weekly attention digest is once per owner (or channel) and weekly occurrence', () => {
  const occurrence = new Date('2026-01-12T08:00:00.000Z');
  assert.is(attentionDigestKey(OWNER, occurrence), `attention:${OWNER}:2026-01-12T08:00:00.000Z`);
  assert.is(attentionDigestKey(OWNER, occurrence, CHANNEL), `attention:ch:${CHANNEL}:2026-01-12T08:00:00.000Z`);
});

test.run();
