-- Email contacts receive nothing until their address confirms a signed link (docs/alerts.md,
-- "Confirming an email contact"), and "Send a test" is throttled per channel and per owner.
--
-- verified_at: when the contact's current address confirmed; cleared when the address changes.
-- The account email needs none (the owner proved it by signing up), nor do webhooks and Slack.
ALTER TABLE alert_channels ADD COLUMN verified_at timestamptz;

-- Every test send and confirmation mail an owner asked for, kept for the throttles' windows (an hour).
-- channel_id has no foreign key on purpose: deleting a channel and adding it again must not give
-- its owner a fresh budget. address is set for confirmation mails (the same address gets one per
-- hour from an owner, whichever channel asks).
CREATE TABLE channel_sends (
  id bigserial PRIMARY KEY,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  channel_id uuid NOT NULL,
  kind text NOT NULL CHECK (kind IN ('test', 'verification')),
  address text,
  sent_at timestamptz NOT NULL
);
CREATE INDEX channel_sends_owner_idx ON channel_sends (user_id, kind, sent_at);
CREATE INDEX channel_sends_channel_idx ON channel_sends (channel_id, kind, sent_at);

-- The confirmation mail is an outbox row of its own kind (extended in place, as 070 does).
DO $$
DECLARE def text;
BEGIN
  SELECT pg_get_constraintdef(oid) INTO def FROM pg_constraint
  WHERE conrelid = 'alert_outbox'::regclass AND conname = 'alert_outbox_kind_check';
  IF def IS NOT NULL AND position('contact_verification' IN def) = 0 THEN
    EXECUTE 'ALTER TABLE alert_outbox DROP CONSTRAINT alert_outbox_kind_check';
    EXECUTE 'ALTER TABLE alert_outbox ADD CONSTRAINT alert_outbox_kind_check '
      || replace(def, 'ARRAY[', 'ARRAY[''contact_verification''::text, ');
  END IF;
END $$;

-- Contacts added before this migration never confirmed: they now wait for it like new ones, and
-- each gets one confirmation mail (its link is signed when the mail is sent).
INSERT INTO alert_outbox (dedupe_key, kind, user_id, channel_id, payload, status, next_attempt_at, created_at)
SELECT 'verify:' || c.id || ':' || gen_random_uuid(), 'contact_verification', c.user_id, c.id,
       jsonb_build_object('address', c.target), 'pending', now(), now()
FROM alert_channels c WHERE c.kind = 'email' AND NOT c.is_account;
INSERT INTO channel_sends (user_id, channel_id, kind, address, sent_at)
SELECT c.user_id, c.id, 'verification', c.target, now()
FROM alert_channels c WHERE c.kind = 'email' AND NOT c.is_account;
