-- Issue 12: owner and fleet search ("name or site URL contains …") at a million bots.
-- A substring search can only use a trigram index (pg_trgm). Such an index cannot live on bots
-- itself: every heartbeat writes a new version of its bots row (see 090), and a new version adds
-- entries to every index of the table, a trigram index's being some twenty per text. So the two
-- searched texts are copied into this narrow table, written only when a bot is created, renamed
-- or reports from a new site URL (the triggers below: heartbeats that change neither cost nothing).
CREATE TABLE bot_search (
  bot_id uuid PRIMARY KEY REFERENCES bots (id) ON DELETE CASCADE,
  name text NOT NULL,
  site_url text
);
INSERT INTO bot_search (bot_id, name, site_url) SELECT id, name, wordpress_site_url FROM bots;

CREATE FUNCTION bot_search_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO bot_search (bot_id, name, site_url) VALUES (NEW.id, NEW.name, NEW.wordpress_site_url)
  ON CONFLICT (bot_id) DO UPDATE SET name = EXCLUDED.name, site_url = EXCLUDED.site_url;
  RETURN NULL;
END $$;
-- New bots: once per statement (seeding or importing many bots stays one insert).
CREATE FUNCTION bot_search_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO bot_search (bot_id, name, site_url) SELECT id, name, wordpress_site_url FROM added;
  RETURN NULL;
END $$;
CREATE TRIGGER bots_search_insert AFTER INSERT ON bots REFERENCING NEW TABLE AS added
  FOR EACH STATEMENT EXECUTE FUNCTION bot_search_added();
-- "UPDATE OF" alone fires whenever the column is SET, as every heartbeat sets the site URL.
CREATE TRIGGER bots_search_update AFTER UPDATE OF name, wordpress_site_url ON bots FOR EACH ROW
  WHEN (OLD.name IS DISTINCT FROM NEW.name OR OLD.wordpress_site_url IS DISTINCT FROM NEW.wordpress_site_url)
  EXECUTE FUNCTION bot_search_sync();

-- pg_trgm ships with PostgreSQL (contrib) and is a trusted extension, so a database owner may
-- create it; where it is not installed or not allowed, search still works by scanning this narrow
-- table (docs/SCALING.md gives both figures).
DO $$
BEGIN
  CREATE EXTENSION IF NOT EXISTS pg_trgm;
  CREATE INDEX bot_search_name_trgm_idx ON bot_search USING gin (name gin_trgm_ops);
  CREATE INDEX bot_search_site_url_trgm_idx ON bot_search USING gin (site_url gin_trgm_ops);
EXCEPTION WHEN undefined_file OR insufficient_privilege OR feature_not_supported THEN
  RAISE NOTICE 'pg_trgm is not available (%): bot search scans the bot_search table', SQLERRM;
END $$;
