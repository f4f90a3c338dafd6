-- The weekly "needs attention" digest (docs/attention.md, "The weekly digest").
-- Each owner chooses the ISO weekday (1 = Monday) and the local hour it comes at, in their time zone
-- (users.timezone), and may opt out of single kinds of attention item (attention_digest_off: kinds
-- never mentioned, in the mail or on a channel).
ALTER TABLE users
  ADD COLUMN attention_digest_weekday smallint NOT NULL DEFAULT 1 CHECK (attention_digest_weekday BETWEEN 1 AND 7),
  ADD COLUMN attention_digest_hour smallint NOT NULL DEFAULT 9 CHECK (attention_digest_hour BETWEEN 0 AND 23),
  ADD COLUMN attention_digest_off text[] NOT NULL DEFAULT '{}';

-- Webhooks and Slack get an `attention` event only when the owner turns it on per channel.
ALTER TABLE alert_channels ADD COLUMN attention_events boolean NOT NULL DEFAULT false;

-- The last digest decided for each owner: its weekly occurrence and the items it listed (their
-- identities, src/domain/attention-digest.ts), so the next one can tell new items from those still
-- open. One row per owner, taken FOR UPDATE by the job: two instances decide each week once.
CREATE TABLE attention_digest_state (
  user_id uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  occurrence timestamptz NOT NULL,
  items jsonb NOT NULL,
  decided_at timestamptz NOT NULL
);

-- The digest is an outbox kind of its own; other migrations add kinds too: extended in place.
DO $$
DECLARE def text;
BEGIN
  SELECT pg_get_constraintdef(oid) INTO def FROM pg_constraint
  WHERE conrelid = 'alert_outbox'::regclass AND conname = 'alert_outbox_kind_check';
  IF def IS NOT NULL AND position('''attention''' IN def) = 0 THEN
    EXECUTE 'ALTER TABLE alert_outbox DROP CONSTRAINT alert_outbox_kind_check';
    EXECUTE 'ALTER TABLE alert_outbox ADD CONSTRAINT alert_outbox_kind_check '
      || replace(def, 'ARRAY[', 'ARRAY[''attention''::text, ');
  END IF;
END $$;
