-- A bot's last activity moves out of `bots` into a narrow table of its own (docs/SCALING.md,
-- "A liveness table of its own").
--
-- Every heartbeat moved bots.wordpress_last_activity, which two indexes held (the sweep's range
-- and the fleet page's order), so its update of the wide bots row was never HOT: each steady-state
-- heartbeat wrote a new version of the whole row and an entry in every index of bots. Now a
-- heartbeat that reports nothing new updates only bot_liveness, which no index but its key
-- covers: with room on the page (fillfactor 50) that update is HOT, so it writes a tuple of a few
-- dozen bytes and no index entry. bots is written only when a fact the plugin reports changes.
--
-- What gave up its index: the sweep's "connected and silent since the cutoff" scans this table
-- instead, a sequential scan of ~100 MB at a million bots (tens of milliseconds), against an index
-- entry per heartbeat; the fleet page, which listed the newest activity first, lists the latest
-- status change first.
CREATE TABLE bot_liveness (
  bot_id uuid PRIMARY KEY REFERENCES bots(id) ON DELETE CASCADE,
  last_activity timestamptz NOT NULL,
  -- connection_status = 'connected' of the bot, kept by bots_liveness_connected below, so that the
  -- sweep's scan needs no row of bots to tell connected bots from the rest.
  connected boolean NOT NULL
) WITH (fillfactor = 50);

INSERT INTO bot_liveness (bot_id, last_activity, connected)
SELECT id, wordpress_last_activity, connection_status = 'connected' FROM bots WHERE wordpress_last_activity IS NOT NULL;

-- The one place `connected` is derived: whatever changes a bot's status (a heartbeat, the sweep,
-- a disconnect, an operator), its liveness row follows in the same transaction. It fires only when
-- the status really changes, never for a steady-state heartbeat.
CREATE FUNCTION bot_liveness_follow_status() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- (A first heartbeat already wrote the row with its status: nothing to change then.)
  UPDATE bot_liveness SET connected = (NEW.connection_status = 'connected')
  WHERE bot_id = NEW.id AND connected IS DISTINCT FROM (NEW.connection_status = 'connected');
  RETURN NULL;
END
$$;

CREATE TRIGGER bots_liveness_connected AFTER UPDATE OF connection_status ON bots
  FOR EACH ROW WHEN (OLD.connection_status IS DISTINCT FROM NEW.connection_status)
  EXECUTE FUNCTION bot_liveness_follow_status();

-- Drops idx_bots_wordpress_last_activity and bots_status_last_activity_idx with it.
ALTER TABLE bots DROP COLUMN wordpress_last_activity;
-- The fleet page lists connections by their latest status change instead (filtered by status or
-- not), the API's status filters and the count of connected bots a storm is measured against use
-- the status; a steady-state heartbeat no longer writes bots, so these cost it nothing.
CREATE INDEX bots_status_changed_idx ON bots (connection_status, status_changed_at DESC NULLS LAST, id DESC);
CREATE INDEX bots_changed_idx ON bots (status_changed_at DESC NULLS LAST, id DESC);
