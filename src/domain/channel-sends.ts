// What an owner may make AgentDesk send on request (docs/alerts.md, "Confirming an email contact"
// and "Send a test"): who counts as a confirmed receiver, and how often tests and confirmation mails
// may go out. Pure: the send history is read by src/db/channel-sends.ts, `now` is passed in.

export type Verification = 'verified' | 'unverified';

/**
 * Whether the channel's address has confirmed. Only email contacts need to: the account email was
 * proved by signing up, and webhooks and Slack are URLs the owner controls (null: not applicable).
 */
export function verificationOf(channel: { kind: string; is_account: boolean; verified_at: Date | null }): Verification | null {
  if (channel.kind !== 'email') return null;
  return channel.is_account || channel.verified_at !== null ? 'verified' : 'unverified';
}

/** An unconfirmed email contact receives nothing but its confirmation mail. */
export const mayReceiveAlerts = (channel: { kind: string; is_account: boolean; verified_at: Date | null }) =>
  verificationOf(channel) !== 'unverified';

export type SendKind = 'test' | 'verification';

export interface SendLimit {
  /** At most one send per channel (confirmations: per address, from one owner) in this span. */
  perChannelMs: number;
  /** At most this many sends per owner in ownerWindowMs, whichever channels. */
  perOwner: number;
  ownerWindowMs: number;
}

const HOUR = 3_600_000;

/**
 * "Send a test": one a minute per channel (enough to check a fix), ten an hour per owner (a button
 * pressed in a loop reaches nobody fifteen times). A confirmation mail: once an hour per address
 * (a contact whose address changes may be sent one at once), and ten an hour per owner.
 */
export const SEND_LIMITS: Record<SendKind, SendLimit> = {
  test: { perChannelMs: 60_000, perOwner: 10, ownerWindowMs: HOUR },
  verification: { perChannelMs: HOUR, perOwner: 10, ownerWindowMs: HOUR },
};

export interface SendHistory {
  /** The latest send for this channel (confirmations: to this address) within perChannelMs. */
  lastForChannel: Date | null;
  /** The owner's sends within ownerWindowMs, newest first, at most perOwner of them. */
  ownerRecent: Date[];
}

export type SendDecision = { ok: true } | { ok: false; limit: 'channel' | 'owner'; retryAfterSeconds: number };

/** May one more send of this kind go out now? If not, which limit holds and for how long. */
export function decideSend(kind: SendKind, history: SendHistory, now: Date): SendDecision {
  const limit = SEND_LIMITS[kind];
  const wait = (until: number) => Math.max(1, Math.ceil((until - now.getTime()) / 1000));
  if (history.lastForChannel && history.lastForChannel.getTime() + limit.perChannelMs > now.getTime()) {
    return { ok: false, limit: 'channel', retryAfterSeconds: wait(history.lastForChannel.getTime() + limit.perChannelMs) };
  }
  const recent = history.ownerRecent.filter((at) => at.getTime() + limit.ownerWindowMs > now.getTime());
  if (recent.length >= limit.perOwner) {
    // The window frees a place when the oldest of the last perOwner sends leaves it.
    const oldest = recent[limit.perOwner - 1]!;
    return { ok: false, limit: 'owner', retryAfterSeconds: wait(oldest.getTime() + limit.ownerWindowMs) };
  }
  return { ok: true };
}

/** "45 seconds", "1 minute", "12 minutes": how a wait is said in refusals. */
export function sayWait(seconds: number): string {
  if (seconds < 60) return `${seconds} second${seconds === 1 ? '' : 's'}`;
  const minutes = Math.ceil(seconds / 60);
  return `${minutes} minute${minutes === 1 ? '' : 's'}`;
}
