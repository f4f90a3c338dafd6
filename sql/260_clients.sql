-- An owner's clients (docs/clients.md): agencies group their sites by the client they run them
-- for, share a status page per client by secret link, and report per client.
CREATE TABLE clients (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  -- The owning account (docs/architecture.md "Accounts": owned rows keep the column name user_id).
  user_id uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
  -- The status page's secret link: only its SHA-256 is kept; NULL = no page (or revoked).
  status_page_key_hash text UNIQUE,
  status_page_shows_urls boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  -- Lets bots refer to (client, owner) together, so a site can only join its own owner's client.
  UNIQUE (id, user_id)
);
CREATE INDEX clients_owner_idx ON clients (user_id, created_at, id);

-- A site belongs to at most one client of its own owner; deleting the client keeps its sites.
ALTER TABLE bots ADD COLUMN client_id uuid;
ALTER TABLE bots ADD CONSTRAINT bots_client_fk FOREIGN KEY (client_id, user_id) REFERENCES clients (id, user_id) ON DELETE SET NULL (client_id);
CREATE INDEX bots_client_idx ON bots (client_id) WHERE client_id IS NOT NULL;
