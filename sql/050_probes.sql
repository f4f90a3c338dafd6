-- Telling silence from failure (spec §11): a silent site is nudged (wp-cron.php) before it is called
-- stale, and a stale site carries the diagnosis of its last probe. The sweep queues probes, the probe
-- worker (src/probes/probe-worker.ts) claims and sends them like the outbox, the sweep judges them.

-- The bot's diagnosis while stale, and when its last probe answered; probe_woke_at is the last time
-- a nudge woke a silent site (its WP-Cron runs only on visits: the bot page suggests a real cron).
ALTER TABLE bots
  ADD COLUMN diagnosis text CHECK (diagnosis IN ('site_down', 'plugin_silent', 'probe_blocked', 'not_probed')),
  ADD COLUMN diagnosis_detail text,
  ADD COLUMN last_probe_at timestamptz,
  ADD COLUMN probe_woke_at timestamptz;

-- What each stale episode turned out to be (the recovery mail says it; the incident mail counts it).
ALTER TABLE alert_episodes
  ADD COLUMN diagnosis text,
  ADD COLUMN diagnosis_detail text;

-- Probe outcomes are connection events too: {result, http_status?, error?, woke}.
ALTER TABLE connection_events DROP CONSTRAINT connection_events_kind_check;
ALTER TABLE connection_events ADD CONSTRAINT connection_events_kind_check CHECK (kind IN ('status', 'site_url_changed', 'probe'));

-- One row per probe. A deadline probe is unique per (bot, last activity): the same silence is never
-- probed twice, whichever instance sweeps. A reminder probe is unique per (episode, reminder).
-- status: pending → probing (claimed, lease until locked_until) → answered → done (judged).
CREATE TABLE site_probes (
  id bigserial PRIMARY KEY,
  bot_id uuid NOT NULL REFERENCES bots (id) ON DELETE CASCADE,
  purpose text NOT NULL CHECK (purpose IN ('deadline', 'reminder')),
  last_activity timestamptz NOT NULL,      -- the silence this probe is about (ms precision)
  episode_id bigint REFERENCES alert_episodes (id) ON DELETE CASCADE,
  reminder integer,
  url text,                                -- null: nothing to request (no site URL)
  incident_id bigint REFERENCES alert_incidents (id),
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'probing', 'answered', 'done')),
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL,
  locked_until timestamptz,
  answer jsonb,                            -- {kind: http|no_answer|not_probed, status?, error?, reason?}
  answered_at timestamptz,
  result text CHECK (result IN ('woke', 'site_down', 'plugin_silent', 'probe_blocked', 'not_probed', 'cancelled')),
  finished_at timestamptz,
  created_at timestamptz NOT NULL
);
CREATE UNIQUE INDEX site_probes_deadline_key ON site_probes (bot_id, last_activity) WHERE purpose = 'deadline';
CREATE UNIQUE INDEX site_probes_reminder_key ON site_probes (episode_id, reminder) WHERE purpose = 'reminder';
CREATE INDEX site_probes_due_idx ON site_probes (next_attempt_at) WHERE status = 'pending';
CREATE INDEX site_probes_lease_idx ON site_probes (locked_until) WHERE status = 'probing';
CREATE INDEX site_probes_open_idx ON site_probes (bot_id) WHERE status <> 'done';
CREATE INDEX site_probes_incident_idx ON site_probes (incident_id) WHERE incident_id IS NOT NULL;
CREATE INDEX site_probes_created_idx ON site_probes (created_at);  -- pruning (pruneProbes)

-- One probe per host per minute, across instances: the last time each host was requested.
CREATE TABLE probe_hosts (
  host text PRIMARY KEY,
  last_probe_at timestamptz NOT NULL
);
