-- One form for email addresses (src/domain/email-address.ts, docs/architecture.md "Email
-- addresses"). email_key() is the SQL twin of emailKey(): invisible characters removed, NFKC,
-- lower case, spaces trimmed, one trailing dot dropped (tests/domain/email-address.test.ts checks
-- that both give the same answer).
CREATE FUNCTION email_key(address text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT regexp_replace(
           regexp_replace(
             normalize(lower(normalize(regexp_replace(address, '[\u00AD\u034F\u061C\u115F\u1160\u17B4\u17B5\u180B-\u180F\u200B-\u200F\u202A-\u202E\u2060-\u206F\u3164\uFE00-\uFE0F\uFEFF\uFFA0]', '', 'g'), NFKC)), NFKC),
             '^ +| +$', '', 'g'),
           '\.$', '')
$$;

-- Accounts stored before the rule that are one address under it ("a@example.com" and
-- "ａ@example.com"): reported, never merged or deleted here. Which one is the real owner (or
-- whether both are one person's) is the operator's call; the view empties as they resolve it, and
-- the service logs a warning at every start while it is not empty.
CREATE VIEW user_email_collisions AS
SELECT email_key(email) AS normalized_email,
       array_agg(id ORDER BY created_at, id) AS user_ids,
       array_agg(email ORDER BY created_at, id) AS emails
FROM users
GROUP BY email_key(email)
HAVING count(*) > 1;

-- Every account takes its normalized form now, so log-in with the plain spelling finds it; in a
-- group of look-alikes only one may (the unique index): the one already normalized, else the
-- oldest. The others keep their spelling, which log-in no longer reaches, until resolved.
UPDATE users u SET email = email_key(u.email), updated_at = now()
WHERE u.email <> email_key(u.email)
  AND length(email_key(u.email)) <= 254
  AND NOT EXISTS (
    SELECT 1 FROM users o
    WHERE o.id <> u.id AND email_key(o.email) = email_key(u.email)
      AND (o.email = email_key(o.email) OR (o.created_at, o.id) < (u.created_at, u.id)));

-- Email contacts have no uniqueness to break: each takes the normalized form.
UPDATE alert_channels SET target = email_key(target), updated_at = now()
WHERE kind = 'email' AND target IS NOT NULL AND target <> email_key(target);
