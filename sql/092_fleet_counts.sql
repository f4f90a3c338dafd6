-- Issue 12: the fleet summary (the /metrics gauges and the admin fleet page) without a pass over a
-- million bots rows per read. The summary groups bots by four low-cardinality columns; these
-- tables keep that grouping current:
--   fleet_counts          bots per (stored status, active, plugin version, WordPress version);
--   fleet_count_changes   +1/-1 rows written by the triggers below in the same transaction as the
--                         change itself, folded into fleet_counts by readers (foldFleetCounts).
-- Changes are appended rather than applied to fleet_counts directly, so that concurrent writers
-- (heartbeat batches, a storm's flips) never wait on one hot counter row. A read sums both tables
-- in one snapshot, so it is exact at every moment. NULL versions are stored as '' (key columns).
CREATE TABLE fleet_counts (
  connection_status text NOT NULL,
  is_active boolean NOT NULL,
  plugin_version text NOT NULL,
  wp_version text NOT NULL,
  n bigint NOT NULL,
  PRIMARY KEY (connection_status, is_active, plugin_version, wp_version)
);
CREATE TABLE fleet_count_changes (
  connection_status text NOT NULL,
  is_active boolean NOT NULL,
  plugin_version text NOT NULL,
  wp_version text NOT NULL,
  delta bigint NOT NULL
);
INSERT INTO fleet_counts
SELECT connection_status, is_active, coalesce(wordpress_plugin_version, ''), coalesce(wordpress_wp_version, ''), count(*)
FROM bots GROUP BY 1, 2, 3, 4;

-- Inserts and deletes: once per statement, grouped (seeding or deleting many bots stays cheap).
CREATE FUNCTION fleet_counts_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO fleet_count_changes
  SELECT connection_status, is_active, coalesce(wordpress_plugin_version, ''), coalesce(wordpress_wp_version, ''), count(*)
  FROM added GROUP BY 1, 2, 3, 4;
  RETURN NULL;
END $$;
CREATE FUNCTION fleet_counts_removed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO fleet_count_changes
  SELECT connection_status, is_active, coalesce(wordpress_plugin_version, ''), coalesce(wordpress_wp_version, ''), -count(*)
  FROM removed GROUP BY 1, 2, 3, 4;
  RETURN NULL;
END $$;
CREATE TRIGGER bots_fleet_counts_insert AFTER INSERT ON bots REFERENCING NEW TABLE AS added
  FOR EACH STATEMENT EXECUTE FUNCTION fleet_counts_added();
CREATE TRIGGER bots_fleet_counts_delete AFTER DELETE ON bots REFERENCING OLD TABLE AS removed
  FOR EACH STATEMENT EXECUTE FUNCTION fleet_counts_removed();

-- Updates: per row, and only when a grouped column really changes. Almost every heartbeat changes
-- none of them, and then the WHEN clause costs a comparison and no write.
CREATE FUNCTION fleet_counts_moved() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO fleet_count_changes VALUES
    (OLD.connection_status, OLD.is_active, coalesce(OLD.wordpress_plugin_version, ''), coalesce(OLD.wordpress_wp_version, ''), -1),
    (NEW.connection_status, NEW.is_active, coalesce(NEW.wordpress_plugin_version, ''), coalesce(NEW.wordpress_wp_version, ''), 1);
  RETURN NULL;
END $$;
CREATE TRIGGER bots_fleet_counts_update
  AFTER UPDATE OF connection_status, is_active, wordpress_plugin_version, wordpress_wp_version ON bots FOR EACH ROW
  WHEN (OLD.connection_status IS DISTINCT FROM NEW.connection_status OR OLD.is_active IS DISTINCT FROM NEW.is_active
        OR OLD.wordpress_plugin_version IS DISTINCT FROM NEW.wordpress_plugin_version
        OR OLD.wordpress_wp_version IS DISTINCT FROM NEW.wordpress_wp_version)
  EXECUTE FUNCTION fleet_counts_moved();

CREATE FUNCTION fleet_counts_cleared() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM fleet_counts;
  DELETE FROM fleet_count_changes;
  RETURN NULL;
END $$;
CREATE TRIGGER bots_fleet_counts_truncate AFTER TRUNCATE ON bots FOR EACH STATEMENT EXECUTE FUNCTION fleet_counts_cleared();

-- The summary no longer groups bots, so this index (written by every heartbeat, see 090) has no reader.
DROP INDEX IF EXISTS bots_fleet_summary_idx;
