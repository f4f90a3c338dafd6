-- One-click connect, disconnect and clone detection (docs/contract.md "Connect" and
-- "Connection status").

-- A plugin that disconnects says so (POST /api/bots/wordpress-disconnect): a stored status of its
-- own, never stale (the sweep only looks at connected bots), left by the next heartbeat.
ALTER TABLE bots DROP CONSTRAINT bots_connection_status_check;
ALTER TABLE bots ADD CONSTRAINT bots_connection_status_check
  CHECK (connection_status IN ('never', 'connected', 'stale', 'deactivated', 'disconnected'));

-- A second site reporting with the token while the first one still reports (a copied site): its
-- address and last heartbeat, shown on the bot page; the bot keeps the first site's URL.
ALTER TABLE bots
  ADD COLUMN wordpress_clone_url text,
  ADD COLUMN wordpress_clone_seen_at timestamptz;

ALTER TABLE connection_events DROP CONSTRAINT connection_events_kind_check;
ALTER TABLE connection_events ADD CONSTRAINT connection_events_kind_check
  CHECK (kind IN ('status', 'site_url_changed', 'probe', 'site_clone'));

-- Codes of the connect flow: issued when the owner approves, exchanged once by the site for a
-- token. Only their SHA-256 is kept; each is bound to the site it was issued for.
CREATE TABLE connect_codes (
  code_hash text PRIMARY KEY,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  bot_id uuid NOT NULL REFERENCES bots (id) ON DELETE CASCADE,
  site_url text NOT NULL,
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  used_at timestamptz
);
CREATE INDEX connect_codes_expires_idx ON connect_codes (expires_at);
