-- Heartbeat 1.2's site-health facts, kept on the bot as the latest heartbeat reported them
-- (docs/wordpress-plugin.md, "What a heartbeat sends"). NULL = not reported (a 1.1 plugin).
-- Columns only: the heartbeat writes them in its one batched UPDATE, and none is in an index, so
-- they add no index entry to a heartbeat's write (sql/090_heartbeat_write_cost.sql).
ALTER TABLE bots
  ADD COLUMN wordpress_php_version text,
  ADD COLUMN wordpress_cron_mode text,
  ADD COLUMN wordpress_cron_overdue_events integer,
  ADD COLUMN wordpress_cron_oldest_overdue_seconds integer,
  ADD COLUMN wordpress_environment text,
  ADD COLUMN wordpress_multisite boolean,
  -- Since when the site reports its current value: an attention item's "since" (src/domain/attention.ts).
  -- Set by the first heartbeat that carries the value, kept while it stays the same.
  ADD COLUMN wordpress_plugin_version_since timestamptz,
  ADD COLUMN wordpress_wp_version_since timestamptz,
  ADD COLUMN wordpress_php_version_since timestamptz,
  ADD COLUMN wordpress_cron_mode_since timestamptz,
  ADD COLUMN wordpress_environment_since timestamptz;
