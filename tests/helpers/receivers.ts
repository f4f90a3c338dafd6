// Real local HTTP receivers for alert channels (docs/alerts.md "Channels"): a webhook endpoint that verifies the
// HMAC signature the way a receiver should and records every delivery, and one that speaks Slack's
// incoming-webhook contract (200 "ok", 400 invalid_payload, 404 no_service, 410
// channel_is_archived, 429 with Retry-After). Each answers what the test sets in `answer`.
import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  headers: http.IncomingHttpHeaders;
  raw: string;
  body: Record<string, unknown>;
  /** The signature verified against the secret (webhooks only). */
  verified: boolean;
  /** What the receiver answered. */
  status: number;
}

async function listen(handler: (req: http.IncomingMessage, raw: string, res: http.ServerResponse) => void) {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => handler(req, Buffer.concat(chunks).toString('utf8'), res));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: (path: string) => `http://127.0.0.1:${port}${path}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** "t=<unix>,v1=<hex>" checked with HMAC-SHA256(secret, "<t>.<raw body>"), in constant time. */
export function verifySignature(secret: string, header: string | undefined, raw: string): boolean {
  const parts = Object.fromEntries((header ?? '').split(',').map((part) => part.split('=', 2) as [string, string]));
  if (!parts.t || !parts.v1) return false;
  const expected = createHmac('sha256', secret).update(`${parts.t}.${raw}`).digest();
  const given = Buffer.from(parts.v1, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export async function startWebhookReceiver() {
  const state = {
    secret: '',
    /** The status to answer next. */
    answer: 200,
    received: [] as ReceivedRequest[],
  };
  const server = await listen((req, raw, res) => {
    const verified = verifySignature(state.secret, req.headers['x-agentdesk-signature'] as string | undefined, raw);
    // A receiver refuses what it cannot verify; otherwise it answers what the test set.
    const status = verified ? state.answer : 400;
    state.received.push({ headers: req.headers, raw, body: JSON.parse(raw || '{}'), verified, status });
    res.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'thanks' : 'nope');
  });
  return Object.assign(state, server, {
    /** Deliveries the receiver accepted. */
    accepted: () => state.received.filter((r) => r.status < 300),
  });
}

export type SlackMode = 'ok' | 'invalid_payload' | 'no_service' | 'channel_is_archived' | 'rate_limited';

const SLACK: Record<SlackMode, { status: number; body: string; headers?: Record<string, string> }> = {
  ok: { status: 200, body: 'ok' },
  invalid_payload: { status: 400, body: 'invalid_payload' },
  no_service: { status: 404, body: 'no_service' },
  channel_is_archived: { status: 410, body: 'channel_is_archived' },
  rate_limited: { status: 429, body: 'rate_limited', headers: { 'retry-after': '120' } },
};

export async function startSlackReceiver() {
  const state = { mode: 'ok' as SlackMode, received: [] as ReceivedRequest[] };
  const server = await listen((req, raw, res) => {
    let body: Record<string, unknown> = {};
    try {
      body = JSON.parse(raw);
    } catch {
      // Slack answers a body it cannot read with invalid_payload, like a message without text.
    }
    const readable = typeof body.text === 'string' && body.text.length > 0;
    const answer = readable ? SLACK[state.mode] : SLACK.invalid_payload;
    state.received.push({ headers: req.headers, raw, body, verified: readable, status: answer.status });
    res.writeHead(answer.status, { 'content-type': 'text/plain', ...answer.headers }).end(answer.body);
  });
  return Object.assign(state, server, { accepted: () => state.received.filter((r) => r.status === 200) });
}
