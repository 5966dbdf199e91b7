-- 007_notifications_account.sql: an account's notifications are listed by merging its systems'
-- pages (notifications_system), so that no trigger pays for an index by account: dropping it
-- took ~2.4 µs of the writer's ~29 per trigger (bench/README.md).
DROP INDEX notifications_account;
