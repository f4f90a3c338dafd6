-- History by time (docs/SCALING.md "History partitioned by time"): heartbeat_hours and site_probes
-- become tables range-partitioned by day, connection_events and alert_outbox by month. Pruning then drops a whole
-- partition (src/db/history-partitions.ts) instead of deleting row by row.
--
-- In place and without copying rows: each existing table is renamed, a partitioned table of the
-- same name and columns takes its place, and the old table is attached to it as the partition of
-- everything up to the end of the current day (month) or of its newest row:
-- "<table>_before_pYYYYMMDD". That partition is pruned the old way (DELETE) until its last day has
-- passed the retention, then dropped whole. An empty old table is simply dropped. Every table also
-- gets a default partition, so an insert never fails for want of a partition; the periodic job
-- creates the dated partitions ahead of time and moves any row the default partition holds for
-- their range into them.
--
-- Keys: a primary or unique key of a partitioned table must contain the partition column, so
--   heartbeat_hours keeps (bot_id, hour) as it was;
--   connection_events' key becomes (id, occurred_at) (ids still come from one sequence, so stay
--     unique), and alert_episodes.id no longer has a foreign key to it: an episode's id is the id
--     of the event its flip wrote in the same statement (src/db/episodes.ts), and deleting a bot
--     deletes both its events and its episodes through their own bot_id keys;
--   site_probes' key becomes (id, created_at); its two "one probe per silence / per reminder"
--     indexes can no longer be unique across days, so insertProbes (src/db/probes.ts) checks them
--     itself under a transaction lock (exact, and safe through a transaction pooler);
--   alert_outbox's key becomes (id, created_at) and its dedupe key can no longer be a unique index
--     (it would have to contain created_at, and then it would not stop a second mail queued later):
--     enqueueing (src/db/outbox.ts) serialises on a transaction lock and skips a key that exists in
--     any partition, as exact. alert_notifications.outbox_id loses its foreign key (it would have
--     to carry created_at); a trigger keeps its ON DELETE CASCADE (a deleted channel or account
--     takes its mails' notifications along), and notifications are only ever written with the ids
--     their mails' INSERT returned, in the same transaction.

CREATE FUNCTION pg_temp.adopt_old_table(parent text, old text, col text, step text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  newest timestamptz;
  bound timestamptz;
  partition_name text;
BEGIN
  EXECUTE format('SELECT max(%I) FROM %I', col, old) INTO newest;
  IF newest IS NULL THEN
    EXECUTE format('DROP TABLE %I', old);
  ELSE
    bound := date_trunc(step, greatest(newest, now()), 'UTC') + ('1 ' || step)::interval;
    partition_name := parent || '_before_p' || to_char(bound AT TIME ZONE 'UTC', 'YYYYMMDD');
    EXECUTE format('ALTER TABLE %I RENAME TO %I', old, partition_name);
    EXECUTE format('ALTER TABLE %I ATTACH PARTITION %I FOR VALUES FROM (MINVALUE) TO (%L)', parent, partition_name, bound);
  END IF;
  EXECUTE format('CREATE TABLE %I PARTITION OF %I DEFAULT', parent || '_default', parent);
END $$;

-- heartbeat_hours: by day of `hour`.
ALTER TABLE heartbeat_hours RENAME TO heartbeat_hours_old;
ALTER INDEX heartbeat_hours_pkey RENAME TO heartbeat_hours_old_pkey;
ALTER INDEX heartbeat_hours_hour_idx RENAME TO heartbeat_hours_old_hour_idx;  -- its DELETE pruning, until it is dropped
CREATE TABLE heartbeat_hours (LIKE heartbeat_hours_old INCLUDING DEFAULTS INCLUDING CONSTRAINTS) PARTITION BY RANGE (hour);
ALTER TABLE heartbeat_hours ADD PRIMARY KEY (bot_id, hour);
ALTER TABLE heartbeat_hours ADD FOREIGN KEY (bot_id) REFERENCES bots (id) ON DELETE CASCADE;
SELECT pg_temp.adopt_old_table('heartbeat_hours', 'heartbeat_hours_old', 'hour', 'day');
-- HOT hourly counts (sql/090_heartbeat_write_cost.sql): fillfactor is a partition's setting.
ALTER TABLE heartbeat_hours_default SET (fillfactor = 50);

-- connection_events: by month of `occurred_at` (kept as long as the bot exists).
ALTER TABLE alert_episodes DROP CONSTRAINT alert_episodes_id_fkey;
ALTER TABLE connection_events RENAME TO connection_events_old;
ALTER TABLE connection_events_old DROP CONSTRAINT connection_events_pkey;
ALTER INDEX connection_events_bot_idx RENAME TO connection_events_old_bot_idx;
ALTER INDEX connection_events_unprocessed_from_stale_idx RENAME TO connection_events_old_unprocessed_from_stale_idx;
CREATE TABLE connection_events (LIKE connection_events_old INCLUDING DEFAULTS INCLUDING CONSTRAINTS) PARTITION BY RANGE (occurred_at);
ALTER SEQUENCE connection_events_id_seq OWNED BY connection_events.id;
ALTER TABLE connection_events ADD PRIMARY KEY (id, occurred_at);
ALTER TABLE connection_events ADD FOREIGN KEY (bot_id) REFERENCES bots (id) ON DELETE CASCADE;
CREATE INDEX connection_events_bot_idx ON connection_events (bot_id, occurred_at DESC);
CREATE INDEX connection_events_unprocessed_from_stale_idx ON connection_events (id)
  WHERE alert_processed_at IS NULL AND kind = 'status' AND from_status = 'stale';
SELECT pg_temp.adopt_old_table('connection_events', 'connection_events_old', 'occurred_at', 'month');

-- site_probes: by day of `created_at` (pruned by it, as before).
ALTER TABLE site_probes RENAME TO site_probes_old;
ALTER TABLE site_probes_old DROP CONSTRAINT site_probes_pkey;
ALTER INDEX site_probes_deadline_key RENAME TO site_probes_old_deadline_key;
ALTER INDEX site_probes_reminder_key RENAME TO site_probes_old_reminder_key;
ALTER INDEX site_probes_due_idx RENAME TO site_probes_old_due_idx;
ALTER INDEX site_probes_lease_idx RENAME TO site_probes_old_lease_idx;
ALTER INDEX site_probes_open_idx RENAME TO site_probes_old_open_idx;
ALTER INDEX site_probes_incident_idx RENAME TO site_probes_old_incident_idx;
ALTER INDEX site_probes_created_idx RENAME TO site_probes_old_created_idx;  -- its DELETE pruning, until it is dropped
CREATE TABLE site_probes (LIKE site_probes_old INCLUDING DEFAULTS INCLUDING CONSTRAINTS) PARTITION BY RANGE (created_at);
ALTER SEQUENCE site_probes_id_seq OWNED BY site_probes.id;
ALTER TABLE site_probes ADD PRIMARY KEY (id, created_at);
ALTER TABLE site_probes ADD FOREIGN KEY (bot_id) REFERENCES bots (id) ON DELETE CASCADE;
ALTER TABLE site_probes ADD FOREIGN KEY (episode_id) REFERENCES alert_episodes (id) ON DELETE CASCADE;
ALTER TABLE site_probes ADD FOREIGN KEY (incident_id) REFERENCES alert_incidents (id);
CREATE INDEX site_probes_deadline_idx ON site_probes (bot_id, last_activity) WHERE purpose = 'deadline';
CREATE INDEX site_probes_reminder_idx ON site_probes (episode_id, reminder) WHERE purpose = 'reminder';
CREATE INDEX site_probes_due_idx ON site_probes (next_attempt_at) WHERE status = 'pending';
CREATE INDEX site_probes_lease_idx ON site_probes (locked_until) WHERE status = 'probing';
CREATE INDEX site_probes_open_idx ON site_probes (bot_id) WHERE status <> 'done';
CREATE INDEX site_probes_incident_idx ON site_probes (incident_id) WHERE incident_id IS NOT NULL;
SELECT pg_temp.adopt_old_table('site_probes', 'site_probes_old', 'created_at', 'day');

-- alert_outbox: by month of `created_at`. Not by delivery: created_at never changes, so no row ever
-- moves between partitions (an UPDATE that moves a row makes a concurrent UPDATE of it fail instead
-- of re-checking it). The rows still to send are found through the partial indexes on status, which
-- only they are in: whatever the partitions hold, delivery reads a handful of index entries.
ALTER TABLE alert_notifications DROP CONSTRAINT alert_notifications_outbox_id_fkey;
ALTER TABLE alert_outbox RENAME TO alert_outbox_old;
ALTER TABLE alert_outbox_old DROP CONSTRAINT alert_outbox_pkey;
ALTER TABLE alert_outbox_old DROP CONSTRAINT alert_outbox_dedupe_key_key;
ALTER INDEX alert_outbox_due_idx RENAME TO alert_outbox_old_due_idx;
ALTER INDEX alert_outbox_sending_idx RENAME TO alert_outbox_old_sending_idx;
ALTER INDEX alert_outbox_held_idx RENAME TO alert_outbox_old_held_idx;
ALTER INDEX alert_outbox_user_idx RENAME TO alert_outbox_old_user_idx;
ALTER INDEX alert_outbox_channel_idx RENAME TO alert_outbox_old_channel_idx;
ALTER INDEX alert_outbox_open_group_idx RENAME TO alert_outbox_old_open_group_idx;
ALTER INDEX alert_outbox_group_window_idx RENAME TO alert_outbox_old_group_window_idx;

CREATE TABLE alert_outbox (LIKE alert_outbox_old INCLUDING DEFAULTS INCLUDING CONSTRAINTS) PARTITION BY RANGE (created_at);
ALTER SEQUENCE alert_outbox_id_seq OWNED BY alert_outbox.id;
ALTER TABLE alert_outbox ADD PRIMARY KEY (id, created_at);
ALTER TABLE alert_outbox ADD FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE;
ALTER TABLE alert_outbox ADD FOREIGN KEY (incident_id) REFERENCES alert_incidents (id);
ALTER TABLE alert_outbox ADD FOREIGN KEY (channel_id) REFERENCES alert_channels (id) ON DELETE CASCADE;
CREATE INDEX alert_outbox_dedupe_idx ON alert_outbox (dedupe_key);
CREATE INDEX alert_outbox_due_idx ON alert_outbox (next_attempt_at) WHERE status = 'pending';
CREATE INDEX alert_outbox_sending_idx ON alert_outbox (locked_until) WHERE status = 'sending';
CREATE INDEX alert_outbox_held_idx ON alert_outbox (incident_id) WHERE status = 'held';
CREATE INDEX alert_outbox_user_idx ON alert_outbox (user_id, created_at);
CREATE INDEX alert_outbox_channel_idx ON alert_outbox (channel_id, id DESC) WHERE channel_id IS NOT NULL;
CREATE INDEX alert_outbox_open_group_idx ON alert_outbox (group_key) WHERE group_key IS NOT NULL AND status = 'held';
CREATE INDEX alert_outbox_group_window_idx ON alert_outbox (next_attempt_at) WHERE group_key IS NOT NULL AND status = 'held' AND incident_id IS NULL;

CREATE FUNCTION alert_outbox_forget_notifications() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM alert_notifications WHERE outbox_id = OLD.id;
  RETURN NULL;
END $$;
CREATE TRIGGER alert_outbox_notifications_cascade AFTER DELETE ON alert_outbox
  FOR EACH ROW EXECUTE FUNCTION alert_outbox_forget_notifications();

SELECT pg_temp.adopt_old_table('alert_outbox', 'alert_outbox_old', 'created_at', 'month');
