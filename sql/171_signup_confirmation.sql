-- SIGNUP=verify: an account made by the sign-up form waits for its address to confirm a signed
-- link before it may log in. confirmation_required_since is null for every account that may log in
-- (all accounts made before this, by the CLI, or under SIGNUP=open); confirmation_sent_at is when
-- the last link was queued, which limits resends to one an hour.
ALTER TABLE users
  ADD COLUMN confirmation_required_since timestamptz,
  ADD COLUMN confirmation_sent_at timestamptz;

-- The confirmation mail is an outbox kind of its own, addressed to to_address (no owner yet to
-- unsubscribe). Other migrations add kinds too: the allowed list is extended in place.
DO $$
DECLARE def text;
BEGIN
  SELECT pg_get_constraintdef(oid) INTO def FROM pg_constraint
  WHERE conrelid = 'alert_outbox'::regclass AND conname = 'alert_outbox_kind_check';
  IF def IS NOT NULL AND position('signup_confirmation' IN def) = 0 THEN
    EXECUTE 'ALTER TABLE alert_outbox DROP CONSTRAINT alert_outbox_kind_check';
    EXECUTE 'ALTER TABLE alert_outbox ADD CONSTRAINT alert_outbox_kind_check '
      || replace(def, 'ARRAY[', 'ARRAY[''signup_confirmation''::text, ');
  END IF;
END $$;
