-- 001_init.sql: herald's schema for the whole product (SPEC §1-§6), applied once by store/sqlite.c.
--
-- Invariants: times are INTEGER ms since the epoch, UTC, and NULL means "not yet" (revoked_at,
-- cancelled_at, seen_at...). Ids are TEXT: UUIDs, 32-hex system ids, the customer's end-user ids.
-- Fan-out on read: a notification stores its targets (user ids, audience ids), never one row per
-- recipient; delivery_state holds a row only once a user has interacted. Tables that are looked
-- up by a composite text key are WITHOUT ROWID, so their secondary indexes are covering.

-- Server-wide values, e.g. 'server_secret' (the HS256 key for API tokens).
CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value BLOB NOT NULL
) STRICT;

CREATE TABLE accounts (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX accounts_created ON accounts (created_at);

-- scopes: HD_SCOPE_* bits (auth/scope.h); secret_hash: a hash of the client secret, never it.
CREATE TABLE api_keys (
    client_id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    name TEXT NOT NULL,
    scopes INTEGER NOT NULL,
    secret_hash BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at INTEGER,
    -- set when the secret is replaced: tokens issued before it stop working (SPEC §5)
    secret_rotated_at INTEGER
) STRICT;
CREATE INDEX api_keys_account ON api_keys (account_id, created_at);

-- signing_secret: signs the system's end-user tokens (SPEC §5). deleted_at: hidden everywhere.
CREATE TABLE systems (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    name TEXT NOT NULL,
    signing_secret BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    deleted_at INTEGER
) STRICT;
CREATE INDEX systems_account ON systems (account_id, created_at);

-- locked_at: set by the first notification that uses the template; editing is then a 409.
CREATE TABLE templates (
    id TEXT PRIMARY KEY,
    system_id TEXT NOT NULL REFERENCES systems (id),
    name TEXT NOT NULL,
    title TEXT NOT NULL,
    description TEXT,
    button_text TEXT,
    button_url TEXT,
    type TEXT NOT NULL CHECK (type IN ('push', 'popup')),
    placeholders TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(placeholders)),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    locked_at INTEGER,
    archived_at INTEGER,
    CHECK ((button_text IS NULL) = (button_url IS NULL))
) STRICT;
CREATE INDEX templates_system ON templates (system_id, created_at);

CREATE TABLE end_users (
    system_id TEXT NOT NULL REFERENCES systems (id),
    id TEXT NOT NULL,
    name TEXT,
    email TEXT,
    attributes TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(attributes)),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (system_id, id)
) STRICT, WITHOUT ROWID;

-- rules: attribute rules (`is`, `is not`, `like`) as JSON, NULL for an explicit list only.
-- A rule audience's members are materialized into audience_members (so the feed and
-- member_count work alike for both kinds); evaluated_at: when that was last done in full.
-- member_count: rows of audience_members, kept exact by the triggers below, so that a trigger
-- to an audience of a million learns its size without counting them.
-- deleted_at: soft delete; the audience can no longer be targeted or changed, and its members
-- stay, so notifications already sent to it stay in their feeds.
CREATE TABLE audiences (
    id TEXT PRIMARY KEY,
    system_id TEXT NOT NULL REFERENCES systems (id),
    name TEXT NOT NULL,
    rules TEXT CHECK (rules IS NULL OR json_valid(rules)),
    member_count INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    evaluated_at INTEGER,
    deleted_at INTEGER
) STRICT;
CREATE INDEX audiences_system ON audiences (system_id, created_at);
-- The live rule audiences of a system: re-evaluated for a user each time they read their feed.
CREATE INDEX audiences_rules ON audiences (system_id) WHERE rules IS NOT NULL AND deleted_at IS NULL;

-- Members need not be known end users yet. The second index answers "which audiences is this
-- user in" for the feed (it holds audience_id, the rest of the primary key).
CREATE TABLE audience_members (
    audience_id TEXT NOT NULL REFERENCES audiences (id) ON DELETE CASCADE,
    system_id TEXT NOT NULL,
    end_user_id TEXT NOT NULL,
    added_at INTEGER NOT NULL,
    PRIMARY KEY (audience_id, end_user_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX audience_members_user ON audience_members (system_id, end_user_id);
-- They fire only for rows really inserted or deleted (not for INSERT ... ON CONFLICT DO NOTHING
-- that hits an existing member), and for ON DELETE CASCADE deletions too.
CREATE TRIGGER audience_members_counted_in AFTER INSERT ON audience_members BEGIN
    UPDATE audiences SET member_count = member_count + 1 WHERE id = NEW.audience_id;
END;
CREATE TRIGGER audience_members_counted_out AFTER DELETE ON audience_members BEGIN
    UPDATE audiences SET member_count = member_count - 1 WHERE id = OLD.audience_id;
END;

-- id: UUIDv7, so id order is creation order (feed order and cursors). created_by: client id.
-- targeted: distinct people reached at send time (direct ids and audience members), computed by
-- the insert (store.h says when it is an upper bound rather than exact).
CREATE TABLE notifications (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    system_id TEXT NOT NULL REFERENCES systems (id),
    template_id TEXT NOT NULL REFERENCES templates (id),
    created_by TEXT NOT NULL,
    type TEXT NOT NULL CHECK (type IN ('push', 'popup')),
    title TEXT,
    runtime_title TEXT NOT NULL,
    runtime_description TEXT,
    button_text TEXT,
    button_url TEXT,
    start_at INTEGER NOT NULL,
    end_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    cancelled_at INTEGER,
    targeted INTEGER NOT NULL DEFAULT 0,
    -- the stream events that announced its start and its end (retract), once recorded
    started_seq INTEGER,
    ended_seq INTEGER
) STRICT;
CREATE INDEX notifications_system ON notifications (system_id, id);
CREATE INDEX notifications_account ON notifications (account_id, id);
-- The scheduler loads what has yet to start or to end (SPEC §6 stream events) on start.
CREATE INDEX notifications_end ON notifications (end_at) WHERE cancelled_at IS NULL;

CREATE TABLE notification_users (
    notification_id TEXT NOT NULL REFERENCES notifications (id) ON DELETE CASCADE,
    system_id TEXT NOT NULL,
    end_user_id TEXT NOT NULL,
    PRIMARY KEY (notification_id, end_user_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX notification_users_user ON notification_users (system_id, end_user_id);

CREATE TABLE notification_audiences (
    notification_id TEXT NOT NULL REFERENCES notifications (id) ON DELETE CASCADE,
    audience_id TEXT NOT NULL REFERENCES audiences (id) ON DELETE CASCADE,
    PRIMARY KEY (notification_id, audience_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX notification_audiences_audience ON notification_audiences (audience_id);

-- One row per (notification, user) once the user's client has received or acted on it.
CREATE TABLE delivery_state (
    notification_id TEXT NOT NULL REFERENCES notifications (id) ON DELETE CASCADE,
    system_id TEXT NOT NULL,
    end_user_id TEXT NOT NULL,
    received_at INTEGER,
    seen_at INTEGER,
    clicked_at INTEGER,
    dismissed_at INTEGER,
    PRIMARY KEY (notification_id, end_user_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX delivery_state_user ON delivery_state (system_id, end_user_id);

-- SPEC §3 Idempotency-Key: the first response to a key, replayed for 24 h.
CREATE TABLE idempotency_keys (
    account_id TEXT NOT NULL REFERENCES accounts (id),
    key TEXT NOT NULL,
    body_hash BLOB NOT NULL,
    response TEXT NOT NULL,
    status INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (account_id, key)
) STRICT, WITHOUT ROWID;
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

-- SPEC §6 stream: what open clients must hear, in commit order. seq is the SSE event id, so a
-- client that reconnects with Last-Event-ID gets exactly the events after it.
CREATE TABLE events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    system_id TEXT NOT NULL,
    notification_id TEXT NOT NULL REFERENCES notifications (id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('notification', 'retract')),
    at INTEGER NOT NULL
) STRICT;
CREATE INDEX events_notification ON events (notification_id, seq);
-- The scheduler's work on start: notifications whose start or end has no event yet.
CREATE INDEX notifications_unstarted ON notifications (start_at) WHERE started_seq IS NULL;
CREATE INDEX notifications_unended ON notifications (end_at) WHERE ended_seq IS NULL;
