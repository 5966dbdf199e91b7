-- 008_start_events.sql: a notification's start is its row's started_seq alone, no longer also a
-- row of events, which every trigger wrote for the stream's replay only (two b-trees and the
-- sequence's row, against this index's one): events keep the retractions. The replay reads
-- starts from notifications, by this index when it is not about one user's targets. The starts
-- already in events go: each is the seq its notification's started_seq holds.
CREATE INDEX notifications_started ON notifications (started_seq) WHERE started_seq IS NOT NULL;
DELETE FROM events WHERE kind = 'notification' AND EXISTS
    (SELECT 1 FROM notifications n WHERE n.id = events.notification_id AND n.started_seq = events.seq);
