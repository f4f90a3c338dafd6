-- The admin fleet page's connection list filtered by status: an ordered range scan on this index
-- instead of a sort of every bot. (The fleet counts are one GROUP BY pass over bots; no index
-- for them, because every extra index on bots costs the heartbeat ingest an index write.)
CREATE INDEX bots_status_last_activity_idx ON bots (connection_status, wordpress_last_activity DESC);
