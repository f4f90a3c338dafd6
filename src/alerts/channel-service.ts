// Alert channel operations for an owner (spec §12): list, add (a webhook's secret is returned this
// once), read, change, delete, and "Send a test" through the real delivery path. Owner isolation is
// here: every lookup is by owner and id together, so another owner's channel is simply not found.
import type { Database } from '../db/database.ts';
import {
  deleteChannel,
  enqueueChannelTest,
  findChannel,
  foreignBotIds,
  insertChannel,
  listChannelDeliveries,
  listChannels,
  updateChannel,
  type ChannelRow,
} from '../db/channels.ts';
import { claimMail } from '../db/outbox.ts';
import { listOwnedBots } from '../db/bots.ts';
import { findUserById } from '../db/users.ts';
import { formatSeconds, maskUrl, parseChannelInput, type ChannelInput } from '../domain/channel-input.ts';
import { NotFoundError, ValidationError } from '../errors.ts';
import { DEFAULT_QUOTAS, type Quotas } from '../domain/quotas.ts';
import { createWithinQuota } from '../accounts/quotas.ts';
import type { ChannelDelivery, DeliveryOutcome } from './channel-delivery.ts';
import { newWebhookSecret } from './channel-messages.ts';
import { DEFAULT_LEASE_MS } from './delivery.ts';

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

  return {
    async list(ownerId: string): Promise<ChannelJson[]> {
      const email = await accountEmail(ownerId);
      return (await listChannels(db, ownerId)).map((channel) => channelToJson(channel, email));
    },

    async get(ownerId: string, id: string): Promise<ChannelJson> {
      return channelToJson(await owned(ownerId, id), await accountEmail(ownerId));
    },

    /** The channel with its latest deliveries and the owner's bots it may cover (its page). */
    async detail(ownerId: string, id: string) {
      const channel = await owned(ownerId, id);
      const bots = (await listOwnedBots(db, ownerId)).map((bot) => ({ id: bot.id, name: bot.name }));
      return { channel: channelToJson(channel, await accountEmail(ownerId)), deliveries: await listChannelDeliveries(db, channel.id), bots };
    },

    /** Adds a channel; a webhook's signing secret is in the answer, and never again. */
    async create(ownerId: string, body: Record<string, unknown>): Promise<{ channel: ChannelJson; secret?: string }> {
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
      return { channel: channelToJson(channel), ...(secret ? { secret } : {}) };
    },

    async update(ownerId: string, id: string, body: Record<string, unknown>): Promise<ChannelJson> {
      const current = await owned(ownerId, id);
      const parsed = parseChannelInput(body, true, current.kind);
      if (!parsed.ok) throw new ValidationError(parsed.message);
      const input = parsed.value;
      if (current.is_account && input.target !== undefined) throw new ValidationError('the account email follows your account address: change it in your account settings');
      await checkBots(ownerId, input);
      const updated = await updateChannel(db, ownerId, id, input, now());
      if (!updated) throw new NotFoundError('Channel not found');
      return channelToJson(updated, await accountEmail(ownerId));
    },

    async remove(ownerId: string, id: string): Promise<void> {
      const channel = await owned(ownerId, id);
      if (channel.is_account) throw new ValidationError('the account email cannot be deleted; disable it instead');
      await deleteChannel(db, ownerId, id);
    },

    /**
     * "Send a test": queues a test row on the channel and delivers it at once through the worker's
     * path (safe requests, signing, retries). A transient failure leaves it to the worker's retries.
     */
    async test(ownerId: string, id: string): Promise<TestResult> {
      const channel = await owned(ownerId, id);
      const at = now();
      const rowId = await enqueueChannelTest(db, channel, at);
      const row = await claimMail(db, rowId, at, DEFAULT_LEASE_MS);
      if (!row) return { result: 'retry', message: TEST_WORDS.retry };
      const { outcome, error } = await (await delivery()).deliver(row, at);
      return { result: outcome, message: error ? `${TEST_WORDS[outcome]} ${error}` : TEST_WORDS[outcome] };
    },
  };
}

export type ChannelService = ReturnType<typeof createChannelService>;
