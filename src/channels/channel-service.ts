// Alert channel operations for an owner (docs/alerts.md "Channels"): list, add (a webhook's secret is returned this
// once), read, change, delete, and "Send a test" through the real delivery path. Owner isolation is
// here: every lookup is by owner and id together, so another owner's channel is simply not found.
// An email contact is sent a confirmation mail when it is added or its address changes, and gets
// nothing else (tests included) until it confirms; tests and confirmation mails are throttled
// (src/domain/channel-sends.ts), the check and its record in one transaction under a per-owner lock.
import { BAD_CURSOR_MESSAGE, decodeCursor, pageOf } from '../domain/list-cursor.ts';
import type { Database, Queryable } from '../db/database.ts';
import {
  deleteChannel,
  enqueueChannelTest,
  enqueueContactVerification,
  findChannel,
  foreignBotIds,
  insertChannel,
  listChannelDeliveries,
  listChannels,
  listChannelsAfter,
  updateChannel,
  type ChannelRow,
} from '../db/channels.ts';
import { claimMail } from '../db/outbox.ts';
import { lastVerificationSent, lockOwnerSends, readSendHistory, recordSend } from '../db/channel-sends.ts';
import { decideSend, SEND_LIMITS, sayWait, verificationOf, type SendKind } from '../domain/channel-sends.ts';
import { listOwnedBots } from '../db/bots.ts';
import { findUserById } from '../db/users.ts';
import { formatSeconds, maskUrl, parseChannelInput, type ChannelInput } from '../domain/channel-input.ts';
import { ConflictError, NotFoundError, TooManyRequestsError, ValidationError } from '../errors.ts';
import { DEFAULT_QUOTAS, type Quotas } from '../domain/quotas.ts';
import { createWithinQuota } from '../accounts/quotas.ts';
import type { ChannelDelivery, DeliveryOutcome } from './channel-delivery.ts';
import { newWebhookSecret } from './channel-messages.ts';
import { DEFAULT_LEASE_MS } from '../domain/alert-rules.ts';

export interface ChannelServiceDeps {
  db: Database;
  /** The delivery path "Send a test" uses (the worker's own, built by the app on first use). */
  delivery: () => Promise<ChannelDelivery>;
  now?: () => Date;
  /** Per-owner limits (admins exempt): channels count, the account email's included. */
  quotas?: Quotas;
}

/** A channel as the API and the pages show it: URLs masked, the secret never. */
export function channelToJson(channel: ChannelRow, accountEmail?: string) {
  return {
    id: channel.id,
    kind: channel.kind,
    name: channel.name,
    target: channel.is_account ? (accountEmail ?? null) : channel.kind === 'email' ? channel.target : maskUrl(channel.target!),
    is_account: channel.is_account,
    bots: channel.bot_ids ?? ('all' as const),
    escalate_after: channel.escalate_after_seconds === null ? null : formatSeconds(channel.escalate_after_seconds),
    enabled: channel.enabled,
    /** Email channels: has the address confirmed? (The account email always has.) null for webhooks and Slack. */
    verification: verificationOf(channel),
    last_error: channel.last_error,
    last_error_at: channel.last_error_at?.toISOString() ?? null,
    created_at: channel.created_at.toISOString(),
    updated_at: channel.updated_at.toISOString(),
  };
}

export type ChannelJson = ReturnType<typeof channelToJson>;

export interface TestResult {
  result: DeliveryOutcome;
  message: string;
}

/** Whether adding a contact (or changing its address) queued its confirmation mail, in words. */
export interface ConfirmationNotice {
  queued: boolean;
  message: string;
}

/** The refusal of a send past its limit, in words that say which limit and how long to wait. */
function refusal(kind: SendKind, limit: 'channel' | 'owner', seconds: number, address: string | null): TooManyRequestsError {
  const wait = sayWait(seconds);
  const perOwner = SEND_LIMITS[kind].perOwner;
  const message =
    kind === 'test'
      ? limit === 'channel'
        ? `Too many tests for this channel: one a minute. Try again in ${wait}.`
        : `Too many tests: at most ${perOwner} an hour per account. Try again in ${wait}.`
      : limit === 'channel'
        ? `A confirmation mail went to ${address} less than an hour ago: check that inbox (and its spam folder), or send another in ${wait}.`
        : `Too many confirmation mails: at most ${perOwner} an hour per account. Try again in ${wait}.`;
  return new TooManyRequestsError(message, seconds);
}

const NOT_CONFIRMED =
  'This address has not confirmed yet: nothing is sent to it, tests included, until it follows the link in its confirmation mail. ' +
  'You can send the confirmation again from the channel\'s page.';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const TEST_WORDS: Record<DeliveryOutcome, string> = {
  sent: 'Delivered: the receiver accepted the test.',
  retry: 'Not delivered yet; AgentDesk retries with backoff.',
  failed: 'Failed permanently.',
  dropped: 'Not sent.',
};

export function createChannelService({ db, delivery, now = () => new Date(), quotas = DEFAULT_QUOTAS }: ChannelServiceDeps) {
  async function owned(ownerId: string, id: string): Promise<ChannelRow> {
    // Not a uuid: no channel has it (and PostgreSQL would refuse the comparison).
    const channel = UUID.test(id) ? await findChannel(db, ownerId, id) : undefined;
    if (!channel) throw new NotFoundError('Channel not found');
    return channel;
  }

  async function checkBots(ownerId: string, input: ChannelInput) {
    const foreign = input.botIds ? await foreignBotIds(db, ownerId, input.botIds) : [];
    if (foreign.length) throw new ValidationError(`bots: no bot of yours has the id ${foreign[0]}`);
  }

  const accountEmail = async (ownerId: string) => (await findUserById(db, ownerId))?.email;

  /**
   * Runs `enqueue` if the owner's limits allow one more send of this kind now, recording the send;
   * otherwise a 429 saying which limit holds and for how long.
   */
  async function throttled<T>(kind: SendKind, channel: ChannelRow, at: Date, enqueue: (tx: Queryable) => Promise<T>): Promise<T> {
    const send = { userId: channel.user_id, channelId: channel.id, kind, address: kind === 'verification' ? channel.target : null };
    return db.transaction(async (tx) => {
      await lockOwnerSends(tx, channel.user_id);
      const decision = decideSend(kind, await readSendHistory(tx, send, at), at);
      if (!decision.ok) throw refusal(kind, decision.limit, decision.retryAfterSeconds, channel.target);
      await recordSend(tx, send, at);
      return enqueue(tx);
    });
  }

  const sendConfirmation = (channel: ChannelRow, at: Date) => throttled('verification', channel, at, (tx) => enqueueContactVerification(tx, channel, at));

  /** The confirmation mail of a new or changed contact; a limit that holds leaves it for a resend. */
  async function confirmNewAddress(channel: ChannelRow): Promise<ConfirmationNotice | undefined> {
    if (verificationOf(channel) !== 'unverified') return undefined;
    try {
      await sendConfirmation(channel, now());
      return { queued: true, message: `A confirmation mail is on its way to ${channel.target}: alerts go there once the link in it is followed.` };
    } catch (error) {
      if (!(error instanceof TooManyRequestsError)) throw error;
      return { queued: false, message: `No confirmation mail was sent: ${error.message}` };
    }
  }

  return {
    async list(ownerId: string): Promise<ChannelJson[]> {
      const email = await accountEmail(ownerId);
      return (await listChannels(db, ownerId)).map((channel) => channelToJson(channel, email));
    },

    /** One page of the account's channels, oldest first (the account email is made first), and the next page's cursor. */
    async listPage(ownerId: string, page: { limit: number; cursor?: string }): Promise<{ channels: ChannelJson[]; nextCursor: string | null }> {
      const after = page.cursor === undefined ? undefined : decodeCursor(page.cursor);
      if (page.cursor !== undefined && !after) throw new ValidationError(BAD_CURSOR_MESSAGE);
      const { rows, nextCursor } = pageOf(await listChannelsAfter(db, ownerId, { after, limit: page.limit + 1 }), page.limit);
      const email = await accountEmail(ownerId);
      return { channels: rows.map((row) => channelToJson(row.channel, email)), nextCursor };
    },

    async get(ownerId: string, id: string): Promise<ChannelJson> {
      return channelToJson(await owned(ownerId, id), await accountEmail(ownerId));
    },

    /** The channel with its latest deliveries and the owner's bots it may cover (its page). */
    async detail(ownerId: string, id: string) {
      const channel = await owned(ownerId, id);
      const bots = (await listOwnedBots(db, ownerId)).map((bot) => ({ id: bot.id, name: bot.name }));
      // An unconfirmed contact's page says when its last confirmation mail went out.
      const confirmationSentAt = verificationOf(channel) === 'unverified' ? await lastVerificationSent(db, channel.id) : null;
      return { channel: channelToJson(channel, await accountEmail(ownerId)), deliveries: await listChannelDeliveries(db, channel.id), bots, confirmationSentAt };
    },

    /** Adds a channel; a webhook's signing secret is in the answer, and never again. */
    async create(ownerId: string, body: Record<string, unknown>): Promise<{ channel: ChannelJson; secret?: string; confirmation?: ConfirmationNotice }> {
      const parsed = parseChannelInput(body, false);
      if (!parsed.ok) throw new ValidationError(parsed.message);
      const input = parsed.value;
      await checkBots(ownerId, input);
      const secret = input.kind === 'webhook' ? newWebhookSecret() : null;
      const channel = await createWithinQuota(db, quotas, 'channels', ownerId, (tx) => insertChannel(
        tx,
        ownerId,
        {
          kind: input.kind!,
          name: input.name!,
          target: input.target!,
          secret,
          botIds: input.botIds ?? null,
          escalateAfterSeconds: input.escalateAfterSeconds ?? null,
          enabled: input.enabled ?? true,
        },
        now(),
      ));
      const confirmation = await confirmNewAddress(channel);
      return { channel: channelToJson(channel), ...(secret ? { secret } : {}), ...(confirmation ? { confirmation } : {}) };
    },

    async update(ownerId: string, id: string, body: Record<string, unknown>): Promise<ChannelJson & { confirmation?: ConfirmationNotice }> {
      const current = await owned(ownerId, id);
      const parsed = parseChannelInput(body, true, current.kind);
      if (!parsed.ok) throw new ValidationError(parsed.message);
      const input = parsed.value;
      if (current.is_account && input.target !== undefined) throw new ValidationError('the account email follows your account address: change it in your account settings');
      await checkBots(ownerId, input);
      const updated = await updateChannel(db, ownerId, id, input, now());
      if (!updated) throw new NotFoundError('Channel not found');
      // A new address has to confirm: it is sent its own confirmation mail.
      const confirmation = updated.target !== current.target ? await confirmNewAddress(updated) : undefined;
      return { ...channelToJson(updated, await accountEmail(ownerId)), ...(confirmation ? { confirmation } : {}) };
    },

    /** Sends an unconfirmed contact its confirmation mail again (at most once an hour per address). */
    async resendConfirmation(ownerId: string, id: string): Promise<{ message: string }> {
      const channel = await owned(ownerId, id);
      const state = verificationOf(channel);
      if (state === null || channel.is_account) throw new ValidationError('only an email contact confirms its address: this channel needs no confirmation');
      if (state === 'verified') throw new ConflictError(`${channel.target} has already confirmed: it receives this channel's alerts`);
      await sendConfirmation(channel, now());
      return { message: `A confirmation mail is on its way to ${channel.target}.` };
    },

    async remove(ownerId: string, id: string): Promise<void> {
      const channel = await owned(ownerId, id);
      if (channel.is_account) throw new ValidationError('the account email cannot be deleted; disable it instead');
      await deleteChannel(db, ownerId, id);
    },

    /**
     * "Send a test": queues a test row on the channel and delivers it at once through the worker's
     * path (safe requests, signing, retries). A transient failure leaves it to the worker's retries.
     * Refused (409) for an email contact that has not confirmed, and past the limits (429).
     */
    async test(ownerId: string, id: string): Promise<TestResult> {
      const channel = await owned(ownerId, id);
      if (verificationOf(channel) === 'unverified') throw new ConflictError(NOT_CONFIRMED);
      const at = now();
      const rowId = await throttled('test', channel, at, (tx) => enqueueChannelTest(tx, channel, at));
      const row = await claimMail(db, rowId, at, DEFAULT_LEASE_MS);
      if (!row) return { result: 'retry', message: TEST_WORDS.retry };
      const { outcome, error } = await (await delivery()).deliver(row, at);
      return { result: outcome, message: error ? `${TEST_WORDS[outcome]} ${error}` : TEST_WORDS[outcome] };
    },
  };
}

export type ChannelService = ReturnType<typeof createChannelService>;
