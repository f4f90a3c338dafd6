-- Maintenance windows (spec §12): planned silence that mails nobody. A one-off window lives on the
-- bot row (one at a time: a new one replaces it); recurring weekly windows are owner rules, read in
-- the owner's time zone by src/domain/maintenance.ts. The sweep keeps flipping silent sites to
-- stale during a window (the §5 status is unchanged) but holds their stale mail on the episode
-- until the window ends; src/alerts/maintenance-sweep.ts then mails the sites still silent.

ALTER TABLE bots
  ADD COLUMN maintenance_started_at timestamptz,
  ADD COLUMN maintenance_until timestamptz,
  ADD COLUMN maintenance_reason text CHECK (length(maintenance_reason) <= 200),
  -- The one-off window whose "ends in a day" mail was queued (its end time), so it is queued once.
  ADD COLUMN maintenance_notice_for timestamptz,
  ADD CONSTRAINT bots_maintenance_window_check CHECK (maintenance_until IS NULL OR maintenance_started_at < maintenance_until);
-- The sweep's "long windows ending within a day" scan reads only bots in a window.
CREATE INDEX bots_maintenance_until_idx ON bots (maintenance_until) WHERE maintenance_until IS NOT NULL;

-- A weekly window: every ISO weekday (1 = Monday) at start_minute past local midnight in the
-- owner's time zone, for duration_minutes of real time; bot_id null = all of the owner's bots.
CREATE TABLE maintenance_schedules (
  id bigserial PRIMARY KEY,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  bot_id uuid REFERENCES bots (id) ON DELETE CASCADE,
  weekday smallint NOT NULL CHECK (weekday BETWEEN 1 AND 7),
  start_minute integer NOT NULL CHECK (start_minute BETWEEN 0 AND 1439),
  duration_minutes integer NOT NULL CHECK (duration_minutes BETWEEN 1 AND 10080),
  reason text CHECK (length(reason) <= 200),
  created_at timestamptz NOT NULL
);
CREATE INDEX maintenance_schedules_user_idx ON maintenance_schedules (user_id);

-- An episode that opened during a window: its stale mail waits for the window to end (then it is
-- sent if the site is still silent, or never if the site came back meanwhile).
ALTER TABLE alert_episodes ADD COLUMN maintenance_held boolean NOT NULL DEFAULT false;
CREATE INDEX alert_episodes_maintenance_held_idx ON alert_episodes (bot_id) WHERE maintenance_held AND closed_at IS NULL;

-- The "window ends in a day" mail is an outbox kind of its own. Other migrations may add kinds too,
-- so the allowed list is extended in place rather than rewritten (whatever ran before stays allowed).
DO $$
DECLARE def text;
BEGIN
  SELECT pg_get_constraintdef(oid) INTO def FROM pg_constraint
  WHERE conrelid = 'alert_outbox'::regclass AND conname = 'alert_outbox_kind_check';
  IF def IS NOT NULL AND position('maintenance_ending' IN def) = 0 THEN
    EXECUTE 'ALTER TABLE alert_outbox DROP CONSTRAINT alert_outbox_kind_check';
    EXECUTE 'ALTER TABLE alert_outbox ADD CONSTRAINT alert_outbox_kind_check '
      || replace(def, 'ARRAY[', 'ARRAY[''maintenance_ending''::text, ');
  END IF;
END $$;
