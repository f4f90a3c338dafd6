// Delivers one claimed outbox row that belongs to a channel (docs/alerts.md "Channels"): email contacts (and the
// account email when it escalates) by the mail transport, webhooks and Slack through the SSRF-fenced
// requester of the probes. The outbox worker (delivery.ts) claims rows and calls deliver(); the "Send a
// test" button claims its own row and calls it too, so a test takes the real path.
//
//  1. The channel is gone or disabled → dropped (a test is still sent: it is how an owner checks a fix).
//     An email contact whose address has not confirmed gets nothing but its confirmation mail, and
//     that only while the address is the one it was queued for and still unconfirmed.
//  2. An escalation (payload.escalate) goes out only for the sites still stale in the same episode;
//     none left → dropped ("recovered before escalation").
//  3. Send. 2xx (or accepted mail) → sent. Webhook 410, Slack 404/410 (no_service,
//     channel_is_archived) → failed and the channel is disabled with the reason. A refused URL (not
//     public, bad port) or an SMTP 5xx → failed. Anything else (429, other 4xx, 5xx, timeout,
//     refused connection) → retried with backoff (429 waits at least its Retry-After), failed after
//     MAX_SEND_ATTEMPTS. A permanent failure is written on the channel; the next success clears it.
import type { Database } from '../db/database.ts';
import { clearChannelError, findChannelById, recordChannelError, selectStillStaleBots, type ChannelRow } from '../db/channels.ts';
import { finishAttempt, type OutboxRow } from '../db/outbox.ts';
import { findAccountRecipients, findRecipients } from '../db/users.ts';
import { isPermanentSendFailure, MAX_SEND_ATTEMPTS, retryDelayMs } from '../domain/alert-rules.ts';
import { mayReceiveAlerts, verificationOf } from '../domain/channel-sends.ts';
import type { SafeRequester } from '../outbound/safe-request.ts';
import type { AlertMetrics } from '../observability/alert-metrics.ts';
import { slackMessage, webhookRequest } from './channel-messages.ts';
import { composeMail, type ComposeDeps } from '../mail/compose-mail.ts';
import type { MailTransport } from '../mail/mail-transport.ts';
import type { AlertLog } from '../mail/alert-types.ts';

export type DeliveryOutcome = 'sent' | 'retry' | 'failed' | 'dropped';

export interface ChannelDeliveryDeps {
  db: Database;
  transport: MailTransport;
  requester: SafeRequester;
  compose: ComposeDeps;
  metrics?: Pick<AlertMetrics, 'alertEmails' | 'notifications'>;
  log?: AlertLog;
}

/** How one attempt ended, before it is written. */
type Attempt = { ok: true } | { ok: false; error: string; permanent: boolean; disable?: boolean; retryAfterMs?: number };

/** Retry-After in seconds (or an HTTP date), capped at an hour; undefined when absent or unreadable. */
function retryAfterMs(header: string | string[] | undefined, now: Date): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) return undefined;
  const seconds = Number(value);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : new Date(value).getTime() - now.getTime();
  return Number.isFinite(ms) && ms > 0 ? Math.min(ms, 3_600_000) : undefined;
}

/** Slack answers a short word (invalid_payload, no_service, channel_is_archived); keep it in the error. */
const answerText = (body: Buffer) => body.toString('utf8', 0, 200).replace(/\s+/g, ' ').trim();

export function createChannelDelivery(deps: ChannelDeliveryDeps) {
  const count = (channelKind: string, kind: string, result: DeliveryOutcome) => {
    deps.metrics?.notifications.inc({ channel_kind: channelKind, kind, result });
    if (channelKind === 'email' && kind !== 'test') deps.metrics?.alertEmails.inc({ kind, result });
  };

  async function post(channel: ChannelRow, url: string, body: string, headers: Record<string, string>, now: Date): Promise<Attempt> {
    const outcome = await deps.requester.request(url, { method: 'POST', headers, body });
    if (outcome.kind === 'refused') return { ok: false, error: `not sent: ${outcome.message}`, permanent: true };
    if (outcome.kind === 'failed') return { ok: false, error: outcome.message, permanent: false };
    const status = outcome.status;
    if (status >= 200 && status < 300) return { ok: true };
    const said = answerText(outcome.body);
    const error = `HTTP ${status}${said ? ` ${said}` : ''}`;
    // The receiver says the endpoint is gone for good (Slack: the app was removed or the channel archived).
    const gone = status === 410 || (channel.kind === 'slack' && status === 404);
    if (gone) return { ok: false, error, permanent: true, disable: true };
    return { ok: false, error, permanent: false, retryAfterMs: status === 429 ? retryAfterMs(outcome.headers['retry-after'], now) : undefined };
  }

  async function sendEmail(channel: ChannelRow, row: OutboxRow, now: Date): Promise<Attempt | 'unsubscribed'> {
    // The account email goes to each member who opted in (docs/alerts.md "Who is told"); a contact's mail names the owner.
    const people = channel.is_account
      ? ((await findAccountRecipients(deps.db, [channel.user_id])).get(channel.user_id) ?? [])
      : [(await findRecipients(deps.db, [channel.user_id])).get(channel.user_id)];
    const recipient = people[0];
    // The owner's unsubscribe stops alerts, not the confirmation a contact needs.
    if (!recipient || (!recipient.alert_emails && row.kind !== 'contact_verification')) return 'unsubscribed';
    const compose = (person: typeof recipient) =>
      composeMail(deps.compose, { ...row, payload: { ...row.payload, channel_name: channel.name, contact: !channel.is_account } }, person, now);
    // A contact is not the owner: the owner's unsubscribe header would switch off the owner's mails.
    const messages = channel.is_account ? people.map((person) => compose(person!)) : [{ ...compose(recipient), to: channel.target!, headers: { 'Auto-Submitted': 'auto-generated' } }];
    try {
      for (const message of messages) await deps.transport.send(message);
      return { ok: true };
    } catch (error) {
      const err = error as Error & { responseCode?: number; code?: string };
      return { ok: false, error: `${err.code ? `${err.code}: ` : ''}${err.message}`.slice(0, 1000), permanent: isPermanentSendFailure(err) };
    }
  }

  function send(channel: ChannelRow, row: OutboxRow, now: Date): Promise<Attempt | 'unsubscribed'> {
    switch (channel.kind) {
      case 'email':
        return sendEmail(channel, row, now);
      case 'webhook': {
        const request = webhookRequest(row, channel.secret!, now, deps.compose.publicUrl);
        return post(channel, channel.target!, request.body, request.headers, now);
      }
      case 'slack':
        return post(channel, channel.target!, slackMessage(row, now, deps.compose.publicUrl, channel.name), { 'content-type': 'application/json' }, now);
    }
  }

  return {
    /** Delivers one claimed row of a channel and records the outcome (fenced by its attempt number). */
    async deliver(row: OutboxRow, now: Date): Promise<{ outcome: DeliveryOutcome; error?: string }> {
      const channel = row.channel_id ? await findChannelById(deps.db, row.channel_id) : undefined;
      const kind = channel?.kind ?? 'email';
      const finish = async (outcome: DeliveryOutcome, error?: string, retryAt?: Date) => {
        if (outcome === 'retry') await finishAttempt(deps.db, row.id, row.attempts, { status: 'pending', retryAt: retryAt!, error: error! });
        else await finishAttempt(deps.db, row.id, row.attempts, { status: outcome, at: now, error });
        count(kind, row.kind, outcome);
        return { outcome, error };
      };

      // 1.
      if (!channel) return finish('dropped', 'the channel was deleted');
      if (row.kind === 'contact_verification') {
        if (channel.target !== row.payload.address) return finish('dropped', 'the contact has another address now');
        if (verificationOf(channel) !== 'unverified') return finish('dropped', 'the address is already confirmed');
      } else {
        if (!mayReceiveAlerts(channel)) return finish('dropped', 'the address has not confirmed yet');
        if (!channel.enabled && row.kind !== 'test') return finish('dropped', 'the channel is disabled');
      }

      // 2.
      if (row.payload.escalate === true) {
        const still = await selectStillStaleBots(deps.db, row.id);
        const sites = ((row.payload.sites ?? []) as Array<{ id: string }>).filter((site) => still.has(site.id));
        if (sites.length === 0) return finish('dropped', 'every site recovered before the escalation time');
        row = { ...row, payload: { ...row.payload, sites } };
      }

      // 3.
      const attempt = await send(channel, row, now);
      if (attempt === 'unsubscribed') return finish('dropped', 'owner unsubscribed');
      if (attempt.ok) {
        if (channel.last_error !== null && channel.enabled) await clearChannelError(deps.db, channel.id);
        return finish('sent');
      }
      if (attempt.permanent || row.attempts >= MAX_SEND_ATTEMPTS) {
        await recordChannelError(deps.db, channel.id, attempt.error, attempt.disable === true, now);
        deps.log?.error({ outboxId: row.id, channel: channel.id, kind: row.kind, attempts: row.attempts, error: attempt.error }, 'channel delivery failed permanently');
        return finish('failed', attempt.disable ? `${attempt.error} (the channel was disabled)` : attempt.error);
      }
      const retryAt = new Date(now.getTime() + Math.max(retryDelayMs(row.attempts), attempt.retryAfterMs ?? 0));
      deps.log?.warn({ outboxId: row.id, channel: channel.id, kind: row.kind, attempts: row.attempts, retryAt, error: attempt.error }, 'channel delivery failed, will retry');
      return finish('retry', attempt.error, retryAt);
    },
  };
}

export type ChannelDelivery = ReturnType<typeof createChannelDelivery>;
