// What a webhook or Slack channel receives for one outbox row (docs/alerts.md "Channels"). Pure: the delivery worker
// passes the row, the time and the service's public URL; nothing here does I/O.
//
// Webhook: one JSON event per bot (the router queues one row per site), signed like Stripe's and
// Svix's: `X-AgentDesk-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`.
// The timestamp lets receivers refuse replays; the delivery id (fixed at enqueue) lets them dedupe.
// Slack: one message per digest, Block Kit `blocks` plus a plain `text` fallback for notifications.
import { createHmac, randomBytes } from 'node:crypto';
import type { OutboxRow } from '../db/outbox.ts';
import { formatDuration } from '../domain/duration.ts';
import type { SitePayload } from '../mail/alert-types.ts';
import { attentionSlackMessage, attentionWebhookBody } from './attention-messages.ts';

export type WebhookEvent = 'stale' | 'recovered' | 'reminder' | 'test' | 'attention';

const EVENT: Record<OutboxRow['kind'], WebhookEvent | undefined> = {
  stale: 'stale',
  recovery: 'recovered',
  reminder: 'reminder',
  test: 'test',
  attention: 'attention',
  incident: undefined,
  signup_confirmation: undefined,
  account_invitation: undefined,
  maintenance_ending: undefined,
  uptime_report: undefined,
  contact_verification: undefined,
};

/** A new webhook signing secret: 32 random bytes, shown to the owner once. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

/** The X-AgentDesk-Signature value for this raw body at this time. */
export function signWebhook(secret: string, body: string, at: Date): string {
  const t = Math.floor(at.getTime() / 1000);
  const v1 = createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
  return `t=${t},v1=${v1}`;
}

const sitesOf = (row: OutboxRow) => ((row.payload.sites ?? []) as SitePayload[]);
const botUrl = (base: string, id: string) => `${base}/bots/${encodeURIComponent(id)}`;

/** The webhook request (body and headers) for one row. */
export function webhookRequest(row: OutboxRow, secret: string, now: Date, publicUrl: string) {
  const event = EVENT[row.kind];
  if (!event) throw new Error(`outbox row ${row.id} (${row.kind}) is not a channel event`);
  const base = publicUrl.replace(/\/+$/, '');
  const site = sitesOf(row)[0];
  const silentSince = site ? new Date(site.last_seen_at) : null;
  const end = site?.recovered_at ? new Date(site.recovered_at) : now;
  // The weekly attention digest is an event of its own shape (attention-messages.ts).
  const body = event === 'attention' ? attentionWebhookBody(row, now, base) : JSON.stringify({
    event,
    delivery_id: row.delivery_id,
    sent_at: now.toISOString(),
    bot: site ? { id: site.id, name: site.name } : null,
    site_url: site?.site_url ?? null,
    status: event === 'test' ? null : event === 'recovered' ? 'connected' : 'stale',
    diagnosis: site?.diagnosis ?? null,
    silent_since: silentSince?.toISOString() ?? null,
    down_seconds: silentSince ? Math.max(0, Math.round((end.getTime() - silentSince.getTime()) / 1000)) : null,
    dashboard_url: site ? botUrl(base, site.id) : `${base}/channels`,
  });
  return {
    body,
    headers: {
      'content-type': 'application/json',
      'x-agentdesk-event': event,
      'x-agentdesk-delivery': row.delivery_id,
      'x-agentdesk-signature': signWebhook(secret, body, now),
    },
  };
}

const HEADLINE: Record<WebhookEvent, (n: number) => string> = {
  stale: (n) => (n === 1 ? 'A site stopped reporting to AgentDesk' : `${n} sites stopped reporting to AgentDesk`),
  recovered: (n) => (n === 1 ? 'A site is reporting to AgentDesk again' : `${n} sites are reporting to AgentDesk again`),
  reminder: (n) => (n === 1 ? 'A site is still silent' : `${n} sites are still silent`),
  test: () => 'AgentDesk test message',
  attention: () => 'Needs attention',
};

/** Slack's mrkdwn needs &, < and > escaped in text that users typed (site names). */
const slackEscape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** One Slack message for one digest row: a header, one section per site (at most 20), a fallback text. */
export function slackMessage(row: OutboxRow, now: Date, publicUrl: string, channelName: string) {
  const event = EVENT[row.kind];
  if (!event) throw new Error(`outbox row ${row.id} (${row.kind}) is not a channel event`);
  const base = publicUrl.replace(/\/+$/, '');
  if (event === 'attention') return attentionSlackMessage(row, base);
  const sites = sitesOf(row);
  const headline = HEADLINE[event](sites.length);
  const lines = sites.map((site) => {
    const since = new Date(site.last_seen_at);
    const end = site.recovered_at ? new Date(site.recovered_at) : now;
    const span = formatDuration(end.getTime() - since.getTime());
    const what = event === 'recovered' ? `back after ${span}` : `silent for ${span}`;
    const diagnosis = site.diagnosis && site.diagnosis !== 'not_probed' ? ` (${site.diagnosis.replace(/_/g, ' ')})` : '';
    return { site, text: `*<${botUrl(base, site.id)}|${slackEscape(site.name)}>* ${site.site_url ? slackEscape(site.site_url) + ' ' : ''}— ${what}${diagnosis}` };
  });
  const text =
    event === 'test'
      ? `${headline}: the channel "${channelName}" works.`
      : `${headline}: ${sites.map((s) => s.name).join(', ')}`;
  const blocks: object[] = [{ type: 'header', text: { type: 'plain_text', text: headline.slice(0, 150) } }];
  if (event === 'test') {
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: `Sent because "Send a test" was pressed for *${slackEscape(channelName)}*. Nothing is wrong with any site.` } });
  }
  // Slack allows 50 blocks per message; a large digest ends with a count and the dashboard link.
  for (const line of lines.slice(0, 20)) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: line.text } });
  if (lines.length > 20) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `…and ${lines.length - 20} more` }] });
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `<${base}/bots|Open the AgentDesk dashboard>` }] });
  return JSON.stringify({ text: text.slice(0, 3000), blocks });
}
