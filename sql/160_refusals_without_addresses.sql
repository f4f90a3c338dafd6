-- Refusals of the outbound fence used to say what a name resolved to ("intranet.test resolves to
-- 10.0.0.5 is a private network address"), which let an owner map internal DNS. New refusals name
-- the rule only (src/outbound/safe-request.ts); this rewrites the ones already stored wherever an
-- owner can read them: the bot's and the episode's diagnosis, the probe's answer and its
-- connection event, and the last error of a channel or an outbox mail. Only rows holding the old
-- phrase are touched (each table is read once, nothing is rewritten otherwise).
CREATE OR REPLACE FUNCTION pg_temp.without_address(value text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT regexp_replace(
    regexp_replace(value, '[^ ()"]+ resolves to [^ ()"]+ is not an IP address', 'the address is not an IP address', 'g'),
    '[^ ()"]+ resolves to [^ ()"]+ is an? ([A-Za-z -]+) address', 'the address is in a refused range (\1)', 'g')
$$;

UPDATE bots SET diagnosis_detail = pg_temp.without_address(diagnosis_detail) WHERE diagnosis_detail LIKE '% resolves to %';
UPDATE alert_episodes SET diagnosis_detail = pg_temp.without_address(diagnosis_detail) WHERE diagnosis_detail LIKE '% resolves to %';
UPDATE site_probes SET answer = pg_temp.without_address(answer::text)::jsonb WHERE answer::text LIKE '% resolves to %';
UPDATE connection_events SET details = pg_temp.without_address(details::text)::jsonb WHERE kind = 'probe' AND details::text LIKE '% resolves to %';
UPDATE alert_channels SET last_error = pg_temp.without_address(last_error) WHERE last_error LIKE '% resolves to %';
UPDATE alert_outbox SET last_error = pg_temp.without_address(last_error) WHERE last_error LIKE '% resolves to %';
DROP FUNCTION pg_temp.without_address(text);
