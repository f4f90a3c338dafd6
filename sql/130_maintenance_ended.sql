-- "End maintenance now" (spec §12) ends whatever window a bot is in, weekly ones included. A weekly
-- window is a rule that must stay for next week, so ending its running occurrence is recorded per
-- bot: occurrences that began at or before maintenance_ended_at are over for this bot (a
-- schedule for all bots is ended for one bot alone). Next week's occurrence begins after it and
-- applies again; the one-off window is simply cleared, as before. Nullable, no default: adding it
-- rewrites nothing, and no index holds it (it is read with the bot's other maintenance facts).
ALTER TABLE bots ADD COLUMN maintenance_ended_at timestamptz;
