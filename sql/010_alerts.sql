-- Owner alerts (spec §7): stale episodes, per-bot notifications with their dedupe keys, the mail
-- outbox, storm incidents and single-use link claims. The sweep (src/alerts/sweep.ts) writes them
-- in one transaction; the delivery worker (src/alerts/delivery.ts) drains the outbox.

-- Stale → * flips not yet handled by the sweep (recovery mails, closing episodes). The heartbeat
-- path writes these events and stays untouched: the sweep claims them afterwards.
ALTER TABLE connection_events ADD COLUMN alert_processed_at timestamptz;
CREATE INDEX connection_events_unprocessed_from_stale_idx ON connection_events (id)
  WHERE alert_processed_at IS NULL AND kind = 'status' AND from_status = 'stale';

-- One row per stale episode; its id is the id of the connected→stale connection event.
CREATE TABLE alert_episodes (
  id bigint PRIMARY KEY REFERENCES connection_events (id) ON DELETE CASCADE,
  bot_id uuid NOT NULL REFERENCES bots (id) ON DELETE CASCADE,
  opened_at timestamptz NOT NULL,          -- when the bot became stale (last_activity + stale_after)
  last_seen_at timestamptz NOT NULL,       -- its last heartbeat before the episode
  reminders_sent integer NOT NULL DEFAULT 0,
  next_reminder_at timestamptz,            -- null: no reminder left
  closed_at timestamptz,
  closed_to_status text
);
CREATE UNIQUE INDEX alert_episodes_open_bot_key ON alert_episodes (bot_id) WHERE closed_at IS NULL;
CREATE INDEX alert_episodes_reminder_idx ON alert_episodes (next_reminder_at) WHERE closed_at IS NULL;

-- Storm incidents: many bots going stale at once is most likely our fault, not the owners'.
CREATE TABLE alert_incidents (
  id bigserial PRIMARY KEY,
  opened_at timestamptz NOT NULL,
  last_storm_at timestamptz NOT NULL,
  closed_at timestamptz,
  stale_count integer NOT NULL,
  connected_count integer NOT NULL
);
CREATE UNIQUE INDEX alert_incidents_one_open_key ON alert_incidents ((closed_at IS NULL)) WHERE closed_at IS NULL;

-- Mails are rows first. status: held (storm) → pending → sending (claimed, lease until locked_until)
-- → sent | failed (permanent) | dropped (no longer true, or recipient unsubscribed).
CREATE TABLE alert_outbox (
  id bigserial PRIMARY KEY,
  dedupe_key text NOT NULL UNIQUE,
  kind text NOT NULL CHECK (kind IN ('stale', 'recovery', 'reminder', 'incident')),
  user_id uuid REFERENCES users (id) ON DELETE CASCADE,
  to_address text,                         -- for mails not addressed to an owner (operator)
  payload jsonb NOT NULL,
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('held', 'pending', 'sending', 'sent', 'failed', 'dropped')),
  incident_id bigint REFERENCES alert_incidents (id),
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL,
  locked_until timestamptz,
  last_error text,
  created_at timestamptz NOT NULL,
  sent_at timestamptz,
  CHECK (user_id IS NOT NULL OR to_address IS NOT NULL)
);
CREATE INDEX alert_outbox_due_idx ON alert_outbox (next_attempt_at) WHERE status = 'pending';
CREATE INDEX alert_outbox_sending_idx ON alert_outbox (locked_until) WHERE status = 'sending';
CREATE INDEX alert_outbox_held_idx ON alert_outbox (incident_id) WHERE status = 'held';
CREATE INDEX alert_outbox_user_idx ON alert_outbox (user_id, created_at);

-- Per bot, episode and kind: the dedupe key ("stale:<bot>:<episode>", "reminder:<bot>:<episode>:<n>")
-- guarantees a bot is never announced twice for the same thing, whatever mail it travels in.
CREATE TABLE alert_notifications (
  id bigserial PRIMARY KEY,
  dedupe_key text NOT NULL UNIQUE,
  kind text NOT NULL CHECK (kind IN ('stale', 'recovery', 'reminder')),
  bot_id uuid NOT NULL REFERENCES bots (id) ON DELETE CASCADE,
  episode_id bigint NOT NULL REFERENCES alert_episodes (id) ON DELETE CASCADE,
  outbox_id bigint NOT NULL REFERENCES alert_outbox (id) ON DELETE CASCADE
);
CREATE INDEX alert_notifications_episode_idx ON alert_notifications (episode_id, kind);
CREATE INDEX alert_notifications_outbox_idx ON alert_notifications (outbox_id);

-- Single-use signed links (mute): the SHA-256 of each token used, kept until it expires.
CREATE TABLE alert_link_uses (
  token_hash text PRIMARY KEY,
  used_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL
);
