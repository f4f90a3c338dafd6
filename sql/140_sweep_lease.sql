-- The sweep's lease (docs/SCALING.md "Through a transaction pooler"): who may sweep, until when,
-- and a fencing token that grows with every new holder. It replaces a session advisory lock,
-- which a transaction pooler (PgBouncer in transaction mode) leaves on whichever server
-- connection happened to run it. Taken, renewed and released in short transactions; every
-- transaction of a sweep first renews it by its token, so a sweep that lost it writes nothing.
-- One row. expires_at = -infinity: free.
CREATE TABLE sweep_lease (
  id boolean PRIMARY KEY DEFAULT true CHECK (id),
  holder text,
  token bigint NOT NULL DEFAULT 0,
  acquired_at timestamptz,
  expires_at timestamptz NOT NULL DEFAULT '-infinity'
);
INSERT INTO sweep_lease DEFAULT VALUES;

-- One row per term (token): when it was taken and until when it held, for the operator and for
-- tests that check no two terms overlapped. Pruned after a week by the sweep that takes the lease.
CREATE TABLE sweep_lease_terms (
  token bigint PRIMARY KEY,
  holder text NOT NULL,
  acquired_at timestamptz NOT NULL,
  -- Its last renewal's expiry, or the release (then released = true).
  ends_at timestamptz NOT NULL,
  released boolean NOT NULL DEFAULT false
);
