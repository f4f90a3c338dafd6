-- The admin fleet page at a million bots (measured by bench/fleet-page.ts):
-- * its summary (counts by status, plugin and WordPress version distributions) is one GROUP BY
--   answered by an index-only scan of this narrow index instead of a scan of the wide bots rows;
-- * its connection list filtered by status is an ordered range scan of the second one.
-- Each index costs the heartbeat ingest one index write per update, so there are only these two.
CREATE INDEX bots_fleet_summary_idx ON bots (connection_status, is_active, wordpress_plugin_version, wordpress_wp_version);
CREATE INDEX bots_status_last_activity_idx ON bots (connection_status, wordpress_last_activity DESC);
