-- Alert groups (issue 16): one mail per burst even when the burst is spread out. A group is an
-- owner mail in the outbox that later sites may still join. group_key names who it is for
-- ("<kind>:<owner>", later "<kind>:<owner>:<channel>"). While its window is open the mail is
-- `held` (the delivery worker never sends held mails) and next_attempt_at is when the window
-- closes; the first sweep at or after that time makes it `pending` (due at once). A group held by
-- a storm incident (incident_id set) stops taking sites when its window closes and is released
-- with the incident, as before.
ALTER TABLE alert_outbox ADD COLUMN group_key text;
-- The sweep finds an owner's open group by key, and the groups whose window has closed by time.
CREATE INDEX alert_outbox_open_group_idx ON alert_outbox (group_key) WHERE group_key IS NOT NULL AND status = 'held';
CREATE INDEX alert_outbox_group_window_idx ON alert_outbox (next_attempt_at) WHERE group_key IS NOT NULL AND status = 'held' AND incident_id IS NULL;
