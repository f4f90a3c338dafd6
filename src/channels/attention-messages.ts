// What a webhook or Slack channel receives for a weekly "needs attention" digest (docs/attention.md,
// "Webhooks and Slack"): one event per owner and week, listing the items of the sites the channel
// covers, new ones and those still open. Pure; channel-messages.ts signs and sends it like any event.
import type { OutboxRow } from '../db/outbox.ts';
import { ATTENTION_KIND_LABELS, type AttentionDigestPayload, type DigestPayloadItem } from '../domain/attention-digest.ts';

const botUrl = (base: string, id: string) => `${base}/bots/${encodeURIComponent(id)}`;

/** The `attention` event's JSON body (without the signature, which the caller adds as a header). */
export function attentionWebhookBody(row: OutboxRow, now: Date, base: string): string {
  const payload = row.payload as unknown as AttentionDigestPayload;
  const item = (state: 'new' | 'still') => (i: DigestPayloadItem) => ({
    state,
    bot: { id: i.bot_id, name: i.bot_name },
    site_url: i.site_url,
    kind: i.kind,
    detail: i.detail,
    next_step: i.next_step,
    since: i.since,
    dashboard_url: botUrl(base, i.bot_id),
  });
  return JSON.stringify({
    event: 'attention',
    delivery_id: row.delivery_id,
    sent_at: now.toISOString(),
    digest_of: payload.occurrence,
    plugin_release: payload.plugin_release,
    items: [...payload.new_items.map(item('new')), ...payload.still_items.map(item('still'))],
    dashboard_url: `${base}/bots?attention=any`,
  });
}

/** Slack's mrkdwn needs &, < and > escaped in text that users typed (site names). */
const slackEscape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** One Slack message: a header saying new or still, one line per item (at most 20), a link. */
export function attentionSlackMessage(row: OutboxRow, base: string): string {
  const payload = row.payload as unknown as AttentionDigestPayload;
  const fresh = payload.new_items.length;
  const still = payload.still_items.length;
  const headline = fresh === 0 ? `Still needing attention: ${still} ${still === 1 ? 'item' : 'items'}` : `Needs attention: ${fresh} new${still ? `, ${still} still open` : ''}`;
  const line = (state: string) => (i: DigestPayloadItem) =>
    `*<${botUrl(base, i.bot_id)}|${slackEscape(i.bot_name)}>* (${state}) ${ATTENTION_KIND_LABELS[i.kind]}: ${slackEscape(i.detail)}`;
  const lines = [...payload.new_items.map(line('new')), ...payload.still_items.map(line('still'))];
  const blocks: object[] = [{ type: 'header', text: { type: 'plain_text', text: headline } }];
  if (payload.plugin_release) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: `AgentDesk plugin ${payload.plugin_release} is available.` } });
  for (const text of lines.slice(0, 20)) blocks.push({ type: 'section', text: { type: 'mrkdwn', text } });
  if (lines.length > 20) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `…and ${lines.length - 20} more` }] });
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `<${base}/bots?attention=any|Open the AgentDesk dashboard>` }] });
  return JSON.stringify({ text: headline, blocks });
}
