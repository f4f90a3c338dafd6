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

-- Sets a table aside as <table>_old (each of its indexes <table>_x becoming <table>_old_x) and
-- creates the partitioned table of the same name and columns in its place, with primary key `pkey`
-- (its sequence, if any, moves to the new table). The old primary key is dropped when the new one
-- differs (it must contain the partition column); attaching the old table builds the new one on it.
CREATE FUNCTION pg_temp.partition_in_place(tbl text, col text, pkey text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  idx text;
  old_key text;
  seq text;
BEGIN
  EXECUTE format('ALTER TABLE %I RENAME TO %I', tbl, tbl || '_old');
  FOR idx IN SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = (tbl || '_old')::regclass LOOP
    EXECUTE format('ALTER INDEX %I RENAME TO %I', idx, tbl || '_old' || substr(idx, length(tbl) + 1));
  END LOOP;
  SELECT string_agg(a.attname, ', ' ORDER BY k.n) INTO old_key
  FROM pg_index i, unnest(i.indkey) WITH ORDINALITY AS k(attnum, n), pg_attribute a
  WHERE i.indrelid = (tbl || '_old')::regclass AND i.indisprimary AND a.attrelid = i.indrelid AND a.attnum = k.attnum;
  IF old_key IS DISTINCT FROM pkey THEN
    EXECUTE format('ALTER TABLE %I DROP CONSTRAINT %I', tbl || '_old', tbl || '_old_pkey');
  END IF;
  EXECUTE format('CREATE TABLE %I (LIKE %I INCLUDING DEFAULTS INCLUDING CONSTRAINTS) PARTITION BY RANGE (%I)', tbl, tbl || '_old', col);
  SELECT pg_get_serial_sequence(tbl || '_old', 'id') INTO seq FROM pg_attribute
  WHERE attrelid = (tbl || '_old')::regclass AND attname = 'id' AND NOT attisdropped;
  IF seq IS NOT NULL THEN
    EXECUTE format('ALTER SEQUENCE %s OWNED BY %I.id', seq, tbl);
  END IF;
  EXECUTE format('ALTER TABLE %I ADD PRIMARY KEY (%s)', tbl, pkey);
END $$;

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
SELECT pg_temp.partition_in_place('heartbeat_hours', 'hour', 'bot_id, hour');
ALTER TABLE heartbeat_hours ADD CONSTRAINT heartbeat_hours_bot_id_fkey FOREIGN KEY (bot_id) REFERENCES bots (id) ON DELETE CASCADE;
SELECT pg_temp.adopt_old_table('heartbeat_hours', 'heartbeat_hours_old', 'hour', 'day');
-- HOT hourly counts (sql/090_heartbeat_write_cost.sql): fillfactor is a partition's setting.
ALTER TABLE heartbeat_hours_default SET (fillfactor = 50);

-- connection_events: by month of `occurred_at` (kept as long as the bot exists).
ALTER TABLE alert_episodes DROP CONSTRAINT alert_episodes_id_fkey;
SELECT pg_temp.partition_in_place('connection_events', 'occurred_at', 'id, occurred_at');
ALTER TABLE connection_events ADD CONSTRAINT connection_events_bot_id_fkey FOREIGN KEY (bot_id) REFERENCES bots (id) ON DELETE CASCADE;
CREATE INDEX connection_events_bot_idx ON connection_events (bot_id, occurred_at DESC);
CREATE INDEX connection_events_unprocessed_from_stale_idx ON connection_events (id)
  WHERE alert_processed_at IS NULL AND kind = 'status' AND from_status = 'stale';
SELECT pg_temp.adopt_old_table('connection_events', 'connection_events_old', 'occurred_at', 'month');

-- site_probes: by day of `created_at` (pruned by it, as before).
SELECT pg_temp.partition_in_place('site_probes', 'created_at', 'id, created_at');
ALTER TABLE site_probes ADD CONSTRAINT site_probes_bot_id_fkey FOREIGN KEY (bot_id) REFERENCES bots (id) ON DELETE CASCADE;
ALTER TABLE site_probes ADD CONSTRAINT site_probes_episode_id_fkey FOREIGN KEY (episode_id) REFERENCES alert_episodes (id) ON DELETE CASCADE;
ALTER TABLE site_probes ADD CONSTRAINT site_probes_incident_id_fkey FOREIGN KEY (incident_id) REFERENCES alert_incidents (id);
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
SELECT pg_temp.partition_in_place('alert_outbox', 'created_at', 'id, created_at');
ALTER TABLE alert_outbox_old DROP CONSTRAINT alert_outbox_old_dedupe_key_key;
ALTER TABLE alert_outbox ADD CONSTRAINT alert_outbox_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE;
ALTER TABLE alert_outbox ADD CONSTRAINT alert_outbox_incident_id_fkey FOREIGN KEY (incident_id) REFERENCES alert_incidents (id);
ALTER TABLE alert_outbox ADD CONSTRAINT alert_outbox_channel_id_fkey FOREIGN KEY (channel_id) REFERENCES alert_channels (id) ON DELETE CASCADE;
CREATE INDEX alert_outbox_dedupe_idx ON alert_outbox (dedupe_key);
CREATE INDEX alert_outbox_due_idx ON alert_outbox (next_attempt_at) WHERE status = 'pending';
CREATE INDEX alert_outbox_sending_idx ON alert_outbox (locked_until) WHERE status = 'sending';
CREATE INDEX alert_outbox_held_idx ON alert_outbox (incident_id) WHERE status = 'held';
CREATE INDEX alert_outbox_user_idx ON alert_outbox (user_id, created_at);
CREATE INDEX alert_outbox_channel_idx ON alert_outbox (channel_id, id DESC) WHERE channel_id IS NOT NULL;
CREATE INDEX alert_outbox_open_group_idx ON alert_outbox (group_key) WHERE group_key IS NOT NULL AND status = 'held';
CREATE INDEX alert_outbox_group_window_idx ON alert_outbox (next_attempt_at) WHERE group_key IS NOT NULL AND status = 'held' AND incident_id IS NULL;

-- Not for rows moving from the default partition into a new one (src/db/history-partitions.ts sets
-- agentdesk.moving_rows for that transaction): they are deleted there and inserted again.
CREATE FUNCTION alert_outbox_forget_notifications() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('agentdesk.moving_rows', true) IS DISTINCT FROM 'on' THEN
    DELETE FROM alert_notifications WHERE outbox_id = OLD.id;
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER alert_outbox_notifications_cascade AFTER DELETE ON alert_outbox
  FOR EACH ROW EXECUTE FUNCTION alert_outbox_forget_notifications();

SELECT pg_temp.adopt_old_table('alert_outbox', 'alert_outbox_old', 'created_at', 'month');
