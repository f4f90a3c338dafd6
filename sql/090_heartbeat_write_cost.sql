-- Issue 12: what one heartbeat writes. Every heartbeat moves wordpress_last_activity, which some
-- indexes hold, so its update of bots cannot be HOT and adds an entry to EVERY index of bots:
-- each index is paid for once per heartbeat (docs/SCALING.md measures it).
--
-- 1. The seed's partial index on wordpress_connected answers no query (that column mirrors
--    connection_status = 'connected', which bots_status_last_activity_idx leads with).
DROP INDEX IF EXISTS idx_bots_wordpress_connected;
-- 2. The sweep's scan "connected and silent since before the cutoff" is the same range of
--    bots_status_last_activity_idx (connection_status, wordpress_last_activity DESC) as of this
--    partial index, so the partial index was a second copy of it.
DROP INDEX IF EXISTS bots_connected_last_activity_idx;
-- 3. A heartbeat bumps its bot's count for the hour. With free room in the page, that update is
--    HOT (no index entry: count is in no index) instead of a new tuple in both of its indexes.
ALTER TABLE heartbeat_hours SET (fillfactor = 50);
