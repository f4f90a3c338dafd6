// The outbox delivery worker: claims due mails, sends each, and records the outcome.
//
//  1. Claim a batch: pending mails that are due, and mails whose sender's lease ran out (a worker
//     that crashed mid-send). Claiming sets status "sending", a lease and one more attempt.
//  2. For each: an owner mail whose owner unsubscribed meanwhile is dropped; otherwise render it
//     and hand it to the transport.
//  3. Accepted → "sent". SMTP 5xx → "failed" (permanent). Anything else (refused connection,
//     timeout, 4xx) → "pending" again after an exponential backoff, "failed" after MAX_SEND_ATTEMPTS.
//     Each outcome is fenced by the attempt number, so a late worker cannot overwrite a newer one.
// Guarantee: at least once, deduplicated: every notification is one row with a unique key and is
// only re-sent if a worker died after the server accepted it and before "sent" was committed; such a
// resend carries the same Message-ID, so mail systems can recognise it.
// Rows of a channel (contacts, webhooks, Slack) are handed to channel-delivery.ts, which
// applies the same rules to HTTP answers.
import type { Database } from '../db/database.ts';
import { claimDueMails, finishAttempt } from '../db/outbox.ts';
import { findAccountRecipients } from '../db/users.ts';
import { DEFAULT_LEASE_MS, isPermanentSendFailure, MAX_SEND_ATTEMPTS, retryDelayMs } from '../domain/alert-rules.ts';
import { observeSentDigest, type AlertMetrics } from '../observability/alert-metrics.ts';
import type { ChannelDelivery } from '../channels/channel-delivery.ts';
import { composeMail, type ComposeDeps } from '../mail/compose-mail.ts';
import type { MailTransport } from '../mail/mail-transport.ts';
import type { AlertLog } from '../mail/alert-types.ts';

export interface DeliveryDeps {
  db: Database;
  transport: MailTransport;
  compose: ComposeDeps;
  metrics?: Pick<AlertMetrics, 'alertEmails'> & Partial<Pick<AlertMetrics, 'notifications' | 'digestSites' | 'alertDelay'>>;
  /** Delivers rows that belong to a channel; without it such rows wait. */
  channels?: ChannelDelivery;
  log?: AlertLog;
  /** How long a claimed mail is reserved for its worker before another may retry it. */
  leaseMs?: number;
  batchSize?: number;
}

export interface DeliveryResult {
  sent: number;
  retried: number;
  failed: number;
  dropped: number;
}

export function createDelivery(deps: DeliveryDeps) {
  const leaseMs = deps.leaseMs ?? DEFAULT_LEASE_MS;
  const batchSize = deps.batchSize ?? 50;
  const count = (kind: string, result: string) => {
    deps.metrics?.alertEmails.inc({ kind, result });
    if (kind !== 'incident' && kind !== 'signup_confirmation' && kind !== 'account_invitation') deps.metrics?.notifications?.inc({ channel_kind: 'email', kind, result });
  };

  return {
    /** Sends every mail due at `now`; returns what happened. */
    async deliverDue(now: Date): Promise<DeliveryResult> {
      const result: DeliveryResult = { sent: 0, retried: 0, failed: 0, dropped: 0 };
      const seen = new Set<number>();
      for (;;) {
        const claimed = (await claimDueMails(deps.db, now, leaseMs, batchSize, deps.channels !== undefined)).filter((row) => !seen.has(row.id));
        if (claimed.length === 0) return result;
        // An account's mail goes to each member who opted in and did not unsubscribe (docs/alerts.md "Who is told").
        const recipients = await findAccountRecipients(deps.db, [...new Set(claimed.flatMap((row) => (row.user_id ? [row.user_id] : [])))]);
        for (const row of claimed) {
          seen.add(row.id);
          if (row.channel_id) {
            const { outcome } = await deps.channels!.deliver(row, now);
            result[outcome === 'retry' ? 'retried' : outcome]++;
            continue;
          }
          const people = row.user_id ? (recipients.get(row.user_id) ?? []) : [undefined];
          if (people.length === 0) {
            await finishAttempt(deps.db, row.id, row.attempts, { status: 'dropped', at: now, error: 'owner unsubscribed' });
            result.dropped++;
            count(row.kind, 'dropped');
            continue;
          }
          try {
            // One message per person (their own unsubscribe link); a retry sends to all of them again.
            for (const person of people) await deps.transport.send(composeMail(deps.compose, row, person, now));
          } catch (error) {
            const err = error as Error & { responseCode?: number; code?: string };
            const message = `${err.code ? `${err.code}: ` : ''}${err.message}`.slice(0, 1000);
            if (isPermanentSendFailure(err) || row.attempts >= MAX_SEND_ATTEMPTS) {
              await finishAttempt(deps.db, row.id, row.attempts, { status: 'failed', at: now, error: message });
              result.failed++;
              count(row.kind, 'failed');
              deps.log?.error({ outboxId: row.id, kind: row.kind, attempts: row.attempts, error: message }, 'alert mail failed permanently');
            } else {
              const retryAt = new Date(now.getTime() + retryDelayMs(row.attempts));
              await finishAttempt(deps.db, row.id, row.attempts, { status: 'pending', retryAt, error: message });
              result.retried++;
              count(row.kind, 'retry');
              deps.log?.warn({ outboxId: row.id, kind: row.kind, attempts: row.attempts, retryAt, error: message }, 'alert mail not sent, will retry');
            }
            continue;
          }
          if (await finishAttempt(deps.db, row.id, row.attempts, { status: 'sent', at: now })) observeSentDigest(deps.metrics, row, now);
          result.sent++;
          count(row.kind, 'sent');
        }
      }
    },
  };
}

export type Delivery = ReturnType<typeof createDelivery>;
