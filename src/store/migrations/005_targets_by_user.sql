-- 005_targets_by_user.sql: the index of direct targets by user moves to a file of its own,
-- herald-by-user.db (sqlite_by_user.c), filled in bulk by a thread of its own: each trigger paid
-- for one random leaf of notification_users_user, written whole to the log and copied back,
-- which was a third of the trigger rate. A trigger now appends its targets to target_log (a
-- right-edge insert); the thread moves them into the index and the writer drops what was moved.
-- A row with no notification_id records an end user's erasure, for the index to apply in turn.
DROP INDEX notification_users_user;

CREATE TABLE target_log (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    system_id TEXT NOT NULL,
    end_user_id TEXT NOT NULL,
    notification_id TEXT
) STRICT;

-- instance: which database an index file was built from (a copy of herald.db keeps it; a new
-- database has another, and its index is rebuilt).
CREATE TABLE store_meta (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT, WITHOUT ROWID;
INSERT INTO store_meta (name, value) VALUES ('instance', lower(hex(randomblob(16))));

-- Every target so far is in notification_users: the index is built from it when first opened.
