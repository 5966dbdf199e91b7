-- 004_notifications_end.sql: no query reads notifications_end (the scheduler's come from
-- notifications_unstarted and notifications_unended, a system's live notifications from the
-- account's index), and every trigger paid for writing it.
DROP INDEX notifications_end;
