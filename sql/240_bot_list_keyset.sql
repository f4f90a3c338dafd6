-- The API's paged bot list walks an owner's bots newest first by (created_at, id) and starts each
-- page right after the previous page's last bot (docs/contract.md "Paged lists"). This index serves
-- that walk and the equality on user_id, and replaces the older (user_id, created_at) one, which it
-- covers. None of its columns changes on a heartbeat, so heartbeat updates stay HOT.
CREATE INDEX IF NOT EXISTS bots_owner_list_idx ON bots (user_id, created_at, id);
DROP INDEX IF EXISTS bots_user_id_idx;
