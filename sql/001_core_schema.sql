-- Core schema: owners, their bots and API keys, the connection flip log and bounded heartbeat history.
-- Numbering convention: 001-009 core, 010-019 alerts, 020-029 dashboard, 030-039 plugin, 040-049 observability.

CREATE TABLE users (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  email text NOT NULL CHECK (email = lower(email) AND length(email) <= 254),
  password_hash text NOT NULL,
  name text,
  timezone text NOT NULL DEFAULT 'UTC',
  role text NOT NULL DEFAULT 'owner' CHECK (role IN ('owner', 'admin')),
  alert_emails boolean NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email_key ON users (email);

-- Personal API keys for the JSON API: only a SHA-256 of the key and a display prefix are kept.
CREATE TABLE api_keys (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  key_hash text NOT NULL UNIQUE,
  key_prefix text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz
);
CREATE INDEX api_keys_user_id_idx ON api_keys (user_id);

-- The seed's bots table; its plaintext api_token is replaced by token_hash + token_prefix.
CREATE TABLE bots (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  name text NOT NULL,
  description text,
  token_hash text NOT NULL UNIQUE,
  token_prefix text NOT NULL,
  widget_key text NOT NULL UNIQUE,
  language text NOT NULL DEFAULT 'en',
  model text NOT NULL DEFAULT 'gpt-4o-mini',
  personality text,
  welcome_message text,
  is_active boolean NOT NULL DEFAULT true,
  is_trained boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  -- WordPress integration (seed v1.1.0), plus what the contract adds.
  wordpress_connected boolean NOT NULL DEFAULT false,
  wordpress_site_url text,
  wordpress_plugin_version text,
  wordpress_wp_version text,
  wordpress_last_activity timestamptz,
  -- never | connected | stale | deactivated. "disabled" is derived from is_active = false.
  connection_status text NOT NULL DEFAULT 'never'
    CHECK (connection_status IN ('never', 'connected', 'stale', 'deactivated')),
  status_changed_at timestamptz,
  -- Extra time on top of the global STALE_AFTER before this bot counts as stale (quiet sites).
  stale_grace_seconds integer NOT NULL DEFAULT 0 CHECK (stale_grace_seconds >= 0),
  muted_until timestamptz,
  -- Set when the token reported from a second site URL (cloned or migrated site).
  site_url_changed_at timestamptz
);
CREATE INDEX bots_user_id_idx ON bots (user_id, created_at);
-- The seed's two indexes.
CREATE INDEX idx_bots_wordpress_connected ON bots (wordpress_connected) WHERE wordpress_connected = true;
CREATE INDEX idx_bots_wordpress_last_activity ON bots (wordpress_last_activity DESC);
-- The sweep's range scan: connected bots ordered by last activity.
CREATE INDEX bots_connected_last_activity_idx ON bots (wordpress_last_activity) WHERE connection_status = 'connected';

-- Every change of connection status (once, with its reason), and other notable connection facts.
CREATE TABLE connection_events (
  id bigserial PRIMARY KEY,
  bot_id uuid NOT NULL REFERENCES bots (id) ON DELETE CASCADE,
  occurred_at timestamptz NOT NULL,
  kind text NOT NULL CHECK (kind IN ('status', 'site_url_changed')),
  from_status text,
  to_status text,
  reason text NOT NULL,
  details jsonb,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX connection_events_bot_idx ON connection_events (bot_id, occurred_at DESC);

-- Bounded heartbeat history: one row per bot per hour, pruned after a few days.
CREATE TABLE heartbeat_hours (
  bot_id uuid NOT NULL REFERENCES bots (id) ON DELETE CASCADE,
  hour timestamptz NOT NULL,
  count integer NOT NULL,
  PRIMARY KEY (bot_id, hour)
);
CREATE INDEX heartbeat_hours_hour_idx ON heartbeat_hours (hour);

-- Small key/value facts about the service itself (generated secret, ingest liveness, …).
CREATE TABLE service_state (
  key text PRIMARY KEY,
  value text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
