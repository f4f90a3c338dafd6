-- A client's monthly uptime report by mail (docs/reports.md "By mail"): opt-in per client, to the
-- owner's account email or to one of the owner's email contacts, which must have confirmed its
-- address like every email contact. Deleting that contact falls back to the account email.
ALTER TABLE clients
  ADD COLUMN report_monthly boolean NOT NULL DEFAULT false,
  ADD COLUMN report_channel_id uuid REFERENCES alert_channels (id) ON DELETE SET NULL;

-- The report mail is an outbox kind of its own; the allowed list is extended in place, as other
-- migrations extend it.
DO $$
DECLARE def text;
BEGIN
  SELECT pg_get_constraintdef(oid) INTO def FROM pg_constraint
  WHERE conrelid = 'alert_outbox'::regclass AND conname = 'alert_outbox_kind_check';
  IF def IS NOT NULL AND position('uptime_report' IN def) = 0 THEN
    EXECUTE 'ALTER TABLE alert_outbox DROP CONSTRAINT alert_outbox_kind_check';
    EXECUTE 'ALTER TABLE alert_outbox ADD CONSTRAINT alert_outbox_kind_check '
      || replace(def, 'ARRAY[', 'ARRAY[''uptime_report''::text, ');
  END IF;
END $$;
