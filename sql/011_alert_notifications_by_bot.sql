-- The bot page lists the alert mails about one bot (with failed deliveries shown, spec §7).
CREATE INDEX alert_notifications_bot_idx ON alert_notifications (bot_id, id DESC);
