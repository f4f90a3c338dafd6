-- What the monthly uptime report needs to remember (docs/reports.md): the service's own ingest
-- outages, and each bot's maintenance as it really ran. Weekly windows are rules and are
-- expanded at report time; what is logged here is what a rule cannot tell later.

-- A span in which no instance stamped ingest as alive (the service or its database was down):
-- from the last stamp before the gap to the stamp that found it (src/alerts/ingest-liveness.ts).
CREATE TABLE ingest_outages (
  id bigserial PRIMARY KEY,
  started_at timestamptz NOT NULL,
  ended_at timestamptz NOT NULL,
  CHECK (ended_at >= started_at)
);
CREATE INDEX ingest_outages_ended_idx ON ingest_outages (ended_at);

-- Each one-off window as it ran: opened, replaced (the older one stops where the newer starts)
-- or ended early (ends_at moves back to the end).
CREATE TABLE maintenance_periods (
  id bigserial PRIMARY KEY,
  bot_id uuid NOT NULL REFERENCES bots (id) ON DELETE CASCADE,
  starts_at timestamptz NOT NULL,
  ends_at timestamptz NOT NULL,
  reason text,
  CHECK (ends_at >= starts_at)
);
CREATE INDEX maintenance_periods_bot_idx ON maintenance_periods (bot_id, ends_at);

-- Each "End maintenance now": the weekly occurrences running then end there too.
CREATE TABLE maintenance_endings (
  bot_id uuid NOT NULL REFERENCES bots (id) ON DELETE CASCADE,
  ended_at timestamptz NOT NULL,
  PRIMARY KEY (bot_id, ended_at)
);

-- The one-off windows open when this runs are the first periods.
INSERT INTO maintenance_periods (bot_id, starts_at, ends_at, reason)
SELECT id, coalesce(maintenance_started_at, updated_at), maintenance_until, maintenance_reason
FROM bots
WHERE maintenance_until IS NOT NULL AND maintenance_until >= coalesce(maintenance_started_at, updated_at);
