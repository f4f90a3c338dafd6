-- Accounts (docs/architecture.md "Accounts and roles"): an account owns the bots, channels,
-- maintenance schedules and API keys; people (users) belong to accounts as members with a role.
--
-- Each existing user becomes the owner of an account WITH THE SAME UUID, so every owned table's
-- user_id column keeps its values and now means "the owning account's id": its foreign key is
-- re-pointed from users(id) to accounts(id) and no column is renamed. New users get their own
-- account the same way (a trigger, so the CLI and tests get one too).

CREATE TABLE accounts (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  created_at timestamptz NOT NULL DEFAULT now()
);

-- notify: this member's opt-in to the account's alert mail (default on for owners only).
CREATE TABLE account_members (
  account_id uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  role text NOT NULL CHECK (role IN ('owner', 'manager', 'member', 'viewer')),
  notify boolean NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (account_id, user_id)
);
CREATE INDEX account_members_user_idx ON account_members (user_id, created_at);

INSERT INTO accounts (id, name, created_at) SELECT id, left(coalesce(nullif(name, ''), email), 200), created_at FROM users;
INSERT INTO account_members (account_id, user_id, role, notify, created_at) SELECT id, id, 'owner', true, created_at FROM users;

-- Owned tables: user_id now names the account.
ALTER TABLE bots DROP CONSTRAINT bots_user_id_fkey,
  ADD CONSTRAINT bots_user_id_fkey FOREIGN KEY (user_id) REFERENCES accounts (id) ON DELETE CASCADE;
ALTER TABLE alert_channels DROP CONSTRAINT alert_channels_user_id_fkey,
  ADD CONSTRAINT alert_channels_user_id_fkey FOREIGN KEY (user_id) REFERENCES accounts (id) ON DELETE CASCADE;
ALTER TABLE maintenance_schedules DROP CONSTRAINT maintenance_schedules_user_id_fkey,
  ADD CONSTRAINT maintenance_schedules_user_id_fkey FOREIGN KEY (user_id) REFERENCES accounts (id) ON DELETE CASCADE;
ALTER TABLE channel_sends DROP CONSTRAINT channel_sends_user_id_fkey,
  ADD CONSTRAINT channel_sends_user_id_fkey FOREIGN KEY (user_id) REFERENCES accounts (id) ON DELETE CASCADE;
ALTER TABLE alert_outbox DROP CONSTRAINT alert_outbox_user_id_fkey,
  ADD CONSTRAINT alert_outbox_user_id_fkey FOREIGN KEY (user_id) REFERENCES accounts (id) ON DELETE CASCADE;

-- API keys belong to one member (user_id, the person who made it) in one account, with a role no
-- higher than theirs (checked when issued and again on every use).
ALTER TABLE api_keys
  ADD COLUMN account_id uuid REFERENCES accounts (id) ON DELETE CASCADE,
  ADD COLUMN role text NOT NULL DEFAULT 'owner' CHECK (role IN ('owner', 'manager', 'member', 'viewer')),
  ADD COLUMN name text CHECK (length(name) <= 100);
UPDATE api_keys SET account_id = user_id;
ALTER TABLE api_keys ALTER COLUMN account_id SET NOT NULL, ALTER COLUMN role DROP DEFAULT;
CREATE INDEX api_keys_account_idx ON api_keys (account_id, created_at);

-- A session works in one account at a time (the account switcher changes it).
ALTER TABLE sessions ADD COLUMN account_id uuid REFERENCES accounts (id) ON DELETE CASCADE;
UPDATE sessions SET account_id = user_id;
ALTER TABLE sessions ALTER COLUMN account_id SET NOT NULL;
CREATE INDEX sessions_account_user_idx ON sessions (account_id, user_id);

-- The account email channel now comes with the account, not the user.
DROP TRIGGER users_account_channel ON users;
DROP FUNCTION alert_channels_account_for_new_user();
CREATE FUNCTION alert_channels_account_for_new_account() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO alert_channels (user_id, kind, is_account, name, created_at, updated_at)
  VALUES (NEW.id, 'email', true, 'Account email', NEW.created_at, NEW.created_at);
  RETURN NEW;
END $$;
CREATE TRIGGER accounts_account_channel AFTER INSERT ON accounts
  FOR EACH ROW EXECUTE FUNCTION alert_channels_account_for_new_account();

-- Every new user gets their own account (same uuid), whose owner they are.
CREATE FUNCTION accounts_for_new_user() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO accounts (id, name, created_at) VALUES (NEW.id, left(coalesce(nullif(NEW.name, ''), NEW.email), 200), NEW.created_at);
  INSERT INTO account_members (account_id, user_id, role, notify, created_at) VALUES (NEW.id, NEW.id, 'owner', true, NEW.created_at);
  RETURN NEW;
END $$;
CREATE TRIGGER users_own_account AFTER INSERT ON users
  FOR EACH ROW EXECUTE FUNCTION accounts_for_new_user();

-- An account nobody belongs to any more goes, with everything it owns: deleting a user (how the
-- operator resolves look-alike accounts, docs/architecture.md "Email addresses") still deletes
-- their bots when they were alone in their account, as before accounts existed. The last owner
-- cannot leave through the service, so this happens only when users are deleted.
CREATE FUNCTION accounts_drop_when_empty() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM accounts a WHERE a.id = OLD.account_id AND NOT EXISTS (SELECT 1 FROM account_members m WHERE m.account_id = OLD.account_id);
  RETURN NULL;
END $$;
CREATE TRIGGER account_members_drop_empty_account AFTER DELETE ON account_members
  FOR EACH ROW EXECUTE FUNCTION accounts_drop_when_empty();

-- Invitations: a signed, single-use link mailed through the outbox, good for 7 days.
CREATE TABLE account_invitations (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  account_id uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  email text NOT NULL CHECK (email = lower(email) AND length(email) <= 254),
  role text NOT NULL CHECK (role IN ('owner', 'manager', 'member', 'viewer')),
  invited_by uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL,
  sent_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  accepted_at timestamptz,
  accepted_by uuid REFERENCES users (id) ON DELETE SET NULL
);
-- One open invitation per address and account.
CREATE UNIQUE INDEX account_invitations_open_idx ON account_invitations (account_id, email) WHERE accepted_at IS NULL;

-- Who did what, when, per account (kept 90 days).
CREATE TABLE audit_log (
  id bigserial PRIMARY KEY,
  account_id uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  at timestamptz NOT NULL,
  actor_user_id uuid REFERENCES users (id) ON DELETE SET NULL,
  actor_email text,
  via text NOT NULL CHECK (via IN ('session', 'api_key', 'link', 'cli')),
  action text NOT NULL,
  target text,
  details jsonb
);
CREATE INDEX audit_log_account_idx ON audit_log (account_id, at DESC, id DESC);
CREATE INDEX audit_log_at_idx ON audit_log (at);

-- The invitation mail is an outbox kind of its own, addressed to to_address.
DO $$
DECLARE def text;
BEGIN
  SELECT pg_get_constraintdef(oid) INTO def FROM pg_constraint
  WHERE conrelid = 'alert_outbox'::regclass AND conname = 'alert_outbox_kind_check';
  IF def IS NOT NULL AND position('account_invitation' IN def) = 0 THEN
    EXECUTE 'ALTER TABLE alert_outbox DROP CONSTRAINT alert_outbox_kind_check';
    EXECUTE 'ALTER TABLE alert_outbox ADD CONSTRAINT alert_outbox_kind_check '
      || replace(def, 'ARRAY[', 'ARRAY[''account_invitation''::text, ');
  END IF;
END $$;
