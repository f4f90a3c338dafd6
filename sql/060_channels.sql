-- Alert channels (spec §12): where an owner's alerts go. The account email is a channel from the
-- start (is_account; its address is the owner's, so target stays null); extra email contacts,
-- webhooks and Slack incoming webhooks are added by the owner. The sweep routes each alert to the
-- channels covering the bot (src/alerts/channel-routing.ts); the outbox delivers them.
CREATE TABLE alert_channels (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  kind text NOT NULL CHECK (kind IN ('email', 'webhook', 'slack')),
  is_account boolean NOT NULL DEFAULT false,
  name text NOT NULL,
  target text,                              -- email address or URL; null only for the account email
  secret text,                              -- webhooks: the HMAC key (whsec_…), shown once
  bot_ids uuid[],                           -- null: every bot of the owner
  escalate_after_seconds integer CHECK (escalate_after_seconds > 0),
  enabled boolean NOT NULL DEFAULT true,
  last_error text,
  last_error_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CHECK (is_account = (target IS NULL)),
  CHECK (is_account = false OR kind = 'email'),
  CHECK ((kind = 'webhook') = (secret IS NOT NULL))
);
CREATE UNIQUE INDEX alert_channels_one_account_key ON alert_channels (user_id) WHERE is_account;
CREATE INDEX alert_channels_user_idx ON alert_channels (user_id, created_at);

-- Every owner has their account email as a channel: the existing ones now, new ones on creation
-- (a trigger, so every path that creates a user, the CLI and tests included, gets it).
INSERT INTO alert_channels (user_id, kind, is_account, name, created_at, updated_at)
SELECT id, 'email', true, 'Account email', now(), now() FROM users;

CREATE FUNCTION alert_channels_account_for_new_user() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO alert_channels (user_id, kind, is_account, name, created_at, updated_at)
  VALUES (NEW.id, 'email', true, 'Account email', NEW.created_at, NEW.created_at);
  RETURN NEW;
END $$;
CREATE TRIGGER users_account_channel AFTER INSERT ON users
  FOR EACH ROW EXECUTE FUNCTION alert_channels_account_for_new_user();

-- Outbox rows for a channel carry it; null = the account email as before (owner mails, operator
-- mails). 'test' rows are the "Send a test" button's. delivery_id names one delivery to receivers
-- (X-AgentDesk-Delivery): it is fixed at enqueue time, so every retry repeats it.
ALTER TABLE alert_outbox
  ADD COLUMN channel_id uuid REFERENCES alert_channels (id) ON DELETE CASCADE,
  ADD COLUMN delivery_id uuid NOT NULL DEFAULT gen_random_uuid();
ALTER TABLE alert_outbox DROP CONSTRAINT alert_outbox_kind_check;
ALTER TABLE alert_outbox ADD CONSTRAINT alert_outbox_kind_check CHECK (kind IN ('stale', 'recovery', 'reminder', 'incident', 'test'));
CREATE INDEX alert_outbox_channel_idx ON alert_outbox (channel_id, id DESC) WHERE channel_id IS NOT NULL;
