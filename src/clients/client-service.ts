// An owner's clients (docs/clients.md): create, list, rename, delete; the sites under each; bulk
// actions on a client's sites; and the status page's secret link. Another owner's client is a 404.
import { issueStatusPageKey } from '../accounts/credentials.ts';
import { createWithinQuota } from '../accounts/quotas.ts';
import type { BotService } from '../bots/bot-service.ts';
import type { ChannelService } from '../channels/channel-service.ts';
import type { Database } from '../db/database.ts';
import {
  deleteClient,
  findOwnedClient,
  insertClient,
  listClientBots,
  listOwnedClientsAfter,
  renameClient,
  setReportSettings,
  setStatusPageKey,
  type ClientRow,
} from '../db/clients.ts';
import { parseClientName } from '../domain/client-input.ts';
import { BAD_CURSOR_MESSAGE, decodeCursor, pageOf } from '../domain/list-cursor.ts';
import { DEFAULT_QUOTAS, type Quotas } from '../domain/quotas.ts';
import { NotFoundError, ValidationError } from '../errors.ts';
import type { MaintenanceService } from '../maintenance/maintenance-service.ts';

export interface ClientServiceDeps {
  db: Database;
  bots: BotService;
  channels: ChannelService;
  maintenance: MaintenanceService;
  /** Where the status page links point (PUBLIC_URL). */
  publicUrl: string;
  now?: () => Date;
  quotas?: Quotas;
}

export interface StatusPageLinks {
  url: string;
  badge_url: string;
  json_url: string;
}

/** The paths of a status page and its two twins, from the secret key in its link. */
export function statusPagePaths(key: string) {
  return { page: `/status/${key}`, badge: `/status/${key}/badge.svg`, json: `/status/${key}/status.json` };
}

const body = (value: unknown): Record<string, unknown> => (value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {});

export function clientToJson(client: ClientRow) {
  return {
    id: client.id,
    name: client.name,
    created_at: client.created_at.toISOString(),
    bot_count: client.bot_count,
    status_page: client.has_status_page,
    status_page_shows_urls: client.status_page_shows_urls,
    report_monthly: client.report_monthly,
    report_channel_id: client.report_channel_id,
  };
}

export function createClientService({ db, bots, channels, maintenance, publicUrl, now = () => new Date(), quotas = DEFAULT_QUOTAS }: ClientServiceDeps) {
  const name = (value: unknown) => {
    const parsed = parseClientName(value);
    if (!parsed.ok) throw new ValidationError(parsed.message);
    return parsed.value;
  };
  const owned = async (ownerId: string, clientId: string) => {
    const client = await findOwnedClient(db, ownerId, clientId);
    if (!client) throw new NotFoundError('Client not found');
    return client;
  };
  /** The ids of the client's sites (the client checked to be the owner's first). */
  const siteIds = async (ownerId: string, clientId: string) => {
    await owned(ownerId, clientId);
    return (await listClientBots(db, ownerId, clientId)).map((bot) => bot.id);
  };

  return {
    async create(ownerId: string, input: unknown): Promise<ClientRow> {
      const clientName = name(body(input).name);
      return createWithinQuota(db, quotas, 'clients', ownerId, (tx) => insertClient(tx, ownerId, clientName, now()));
    },

    get: owned,

    /** One page of the owner's clients, oldest first, and the next page's cursor (null on the last). */
    async list(ownerId: string, page: { limit: number; cursor?: string }): Promise<{ clients: ClientRow[]; nextCursor: string | null }> {
      const after = page.cursor === undefined ? undefined : decodeCursor(page.cursor);
      if (page.cursor !== undefined && !after) throw new ValidationError(BAD_CURSOR_MESSAGE);
      const { rows, nextCursor } = pageOf(await listOwnedClientsAfter(db, ownerId, { after, limit: page.limit + 1 }), page.limit);
      return { clients: rows.map((row) => row.client), nextCursor };
    },

    async rename(ownerId: string, clientId: string, input: unknown): Promise<ClientRow> {
      if (!(await renameClient(db, ownerId, clientId, name(body(input).name)))) throw new NotFoundError('Client not found');
      return owned(ownerId, clientId);
    },

    /** Deletes the client; its sites stay, without a client. */
    async remove(ownerId: string, clientId: string): Promise<void> {
      if (!(await deleteClient(db, ownerId, clientId))) throw new NotFoundError('Client not found');
    },

    /**
     * A new secret link for the client's status page (the previous one stops working at once),
     * with the page's badge and JSON twins. `show_urls: true` lists the sites' addresses.
     */
    async createStatusPage(ownerId: string, clientId: string, input: unknown): Promise<StatusPageLinks> {
      const showUrls = body(input).show_urls;
      if (showUrls !== undefined && typeof showUrls !== 'boolean') throw new ValidationError('show_urls must be true or false');
      const key = issueStatusPageKey();
      if (!(await setStatusPageKey(db, ownerId, clientId, key.hash, showUrls === true))) throw new NotFoundError('Client not found');
      const paths = statusPagePaths(key.value);
      return { url: `${publicUrl}${paths.page}`, badge_url: `${publicUrl}${paths.badge}`, json_url: `${publicUrl}${paths.json}` };
    },

    /**
     * The monthly report mail (`{monthly, channel_id?}`): on or off, and to the account email
     * (`channel_id` null or absent) or to one of the owner's email contacts.
     */
    async setReport(ownerId: string, clientId: string, input: unknown): Promise<ClientRow> {
      const fields = body(input);
      if (typeof fields.monthly !== 'boolean') throw new ValidationError('monthly must be true or false');
      const channelId = fields.channel_id ?? null;
      if (channelId !== null && typeof channelId !== 'string') throw new ValidationError('channel_id must be one of your email contacts’ ids, or null for your account email');
      await owned(ownerId, clientId);
      if (!(await setReportSettings(db, ownerId, clientId, { monthly: fields.monthly, channelId }))) throw new NotFoundError('Email contact not found');
      return owned(ownerId, clientId);
    },

    /** Revokes the link: the page, its badge and its JSON answer 404 from now on. */
    async revokeStatusPage(ownerId: string, clientId: string): Promise<void> {
      if (!(await setStatusPageKey(db, ownerId, clientId, null))) throw new NotFoundError('Client not found');
    },

    /** Opens a maintenance window (`{minutes, reason?}`) on every site of the client; how many. */
    async openMaintenance(ownerId: string, clientId: string, input: unknown): Promise<{ until: Date | null; changed: number }> {
      const ids = await siteIds(ownerId, clientId);
      if (ids.length === 0) return { until: null, changed: 0 };
      const opened = await maintenance.openForOwner(ownerId, { ...body(input), bot_ids: ids });
      return { until: opened.until, changed: opened.botIds.length };
    },

    /** Ends the maintenance each site of the client is in; how many were in one. */
    async endMaintenance(ownerId: string, clientId: string): Promise<{ changed: number }> {
      const ids = await siteIds(ownerId, clientId);
      if (ids.length === 0) return { changed: 0 };
      return { changed: (await maintenance.endForOwner(ownerId, { bot_ids: ids })).botIds.length };
    },

    /**
     * Makes each listed channel (`{channel_ids}`) of the owner cover every site of the client as
     * well ("this Slack channel gets client X"); a channel that covers all sites already does. The
     * sites the channel covered stay covered. How many channels changed. A site added to the client
     * later is not added to the channels by itself.
     */
    async coverWithChannels(ownerId: string, clientId: string, input: unknown): Promise<{ changed: number }> {
      const channelIds = body(input).channel_ids;
      if (!Array.isArray(channelIds) || channelIds.length === 0 || channelIds.length > 50 || !channelIds.every((id) => typeof id === 'string')) {
        throw new ValidationError('channel_ids must be a list of 1 to 50 of your channels’ ids');
      }
      const sites = await siteIds(ownerId, clientId);
      // All checked first (another owner's channel is a 404), so nothing is half applied.
      const listed = await Promise.all([...new Set(channelIds as string[])].map((id) => channels.get(ownerId, id)));
      let changed = 0;
      for (const channel of listed) {
        if (channel.bots === 'all') continue;
        const covered = new Set(channel.bots);
        if (sites.every((id) => covered.has(id))) continue;
        await channels.update(ownerId, channel.id, { bots: [...new Set([...channel.bots, ...sites])] });
        changed++;
      }
      return { changed };
    },

    /** Mutes (`{muted_until: ISO time | null}`) the owner alerts of every site of the client; how many. */
    async mute(ownerId: string, clientId: string, input: unknown): Promise<{ changed: number }> {
      const mutedUntil = body(input).muted_until;
      if (mutedUntil === undefined) throw new ValidationError('muted_until is required: an ISO 8601 time, or null to unmute');
      return { changed: await bots.setMutedUntil(ownerId, await siteIds(ownerId, clientId), mutedUntil) };
    },
  };
}

export type ClientService = ReturnType<typeof createClientService>;
