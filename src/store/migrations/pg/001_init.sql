-- pg/001_init.sql: herald's schema on PostgreSQL, the same tables as ../001_init.sql (SQLite),
-- applied once by store/pg.c under an advisory lock, so nodes starting at once apply it once.
--
-- Invariants as in SQLite: times are bigint ms since the epoch, UTC, NULL means "not yet"; ids
-- are text. Fan-out on read: a notification stores its targets, never one row per recipient.
-- Differences: blobs are bytea; JSON columns are text checked as JSON (returned as written);
-- member counts are kept by statement-level triggers (one UPDATE per statement, not per row);
-- event seqs come from one counter row, taken in the committing transaction, so seq order is
-- commit order across every node (a reader that has seen seq N has seen everything before it).

CREATE TABLE meta (
    key text PRIMARY KEY,
    value bytea NOT NULL
);

CREATE TABLE accounts (
    id text PRIMARY KEY,
    name text NOT NULL,
    created_at bigint NOT NULL
);
CREATE INDEX accounts_created ON accounts (created_at);

CREATE TABLE api_keys (
    client_id text PRIMARY KEY,
    account_id text NOT NULL REFERENCES accounts (id),
    name text NOT NULL,
    scopes bigint NOT NULL,
    secret_hash bytea NOT NULL,
    created_at bigint NOT NULL,
    last_used_at bigint,
    revoked_at bigint,
    secret_rotated_at bigint,
    -- failed authentications in the window that started at auth_failures_window (throttling,
    -- shared by every node)
    auth_failures_window bigint,
    auth_failures integer NOT NULL DEFAULT 0
);
CREATE INDEX api_keys_account ON api_keys (account_id, created_at);

CREATE TABLE systems (
    id text PRIMARY KEY,
    account_id text NOT NULL REFERENCES accounts (id),
    name text NOT NULL,
    signing_secret bytea NOT NULL,
    created_at bigint NOT NULL,
    deleted_at bigint
);
CREATE INDEX systems_account ON systems (account_id, created_at);

CREATE TABLE templates (
    id text PRIMARY KEY,
    system_id text NOT NULL REFERENCES systems (id),
    name text NOT NULL,
    title text NOT NULL,
    description text,
    button_text text,
    button_url text,
    type text NOT NULL CHECK (type IN ('push', 'popup')),
    placeholders text NOT NULL DEFAULT '[]' CHECK (placeholders::jsonb IS NOT NULL),
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL,
    locked_at bigint,
    archived_at bigint,
    CHECK ((button_text IS NULL) = (button_url IS NULL))
);
CREATE INDEX templates_system ON templates (system_id, created_at);

-- id order is byte order (COLLATE "C"), as in SQLite, for cursors and listings.
CREATE TABLE end_users (
    system_id text NOT NULL REFERENCES systems (id),
    id text COLLATE "C" NOT NULL,
    name text,
    email text,
    attributes text NOT NULL DEFAULT '{}' CHECK (attributes::jsonb IS NOT NULL),
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL,
    PRIMARY KEY (system_id, id)
);

-- An attribute's text for audience rules, as SQLite's json_extract gives it: strings as they
-- are, numbers as written, true/false as 1/0, a missing key or null as NULL.
CREATE FUNCTION herald_attr(attributes text, key text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE jsonb_typeof(attributes::jsonb -> key)
        WHEN 'boolean' THEN CASE WHEN (attributes::jsonb -> key)::boolean THEN '1' ELSE '0' END
        WHEN 'null' THEN NULL
        ELSE attributes::jsonb ->> key
    END
$$;

CREATE TABLE audiences (
    id text COLLATE "C" PRIMARY KEY,
    system_id text NOT NULL REFERENCES systems (id),
    name text NOT NULL,
    rules text CHECK (rules IS NULL OR rules::jsonb IS NOT NULL),
    member_count bigint NOT NULL DEFAULT 0,
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL,
    evaluated_at bigint,
    deleted_at bigint
);
CREATE INDEX audiences_system ON audiences (system_id, created_at);
CREATE INDEX audiences_rules ON audiences (system_id) WHERE rules IS NOT NULL AND deleted_at IS NULL;

-- audience_id has the collation of audiences.id: joins between them can use either's index.
CREATE TABLE audience_members (
    audience_id text COLLATE "C" NOT NULL REFERENCES audiences (id) ON DELETE CASCADE,
    system_id text NOT NULL,
    end_user_id text COLLATE "C" NOT NULL,
    added_at bigint NOT NULL,
    PRIMARY KEY (audience_id, end_user_id)
);
CREATE INDEX audience_members_user ON audience_members (system_id, end_user_id, audience_id);

-- member_count stays exact: one UPDATE per audience per statement, for rows really inserted or
-- deleted (ON CONFLICT DO NOTHING skips existing members; cascaded deletes count too).
CREATE FUNCTION audience_members_count_in() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE audiences a SET member_count = a.member_count + d.n
      FROM (SELECT audience_id, count(*) AS n FROM new_rows GROUP BY audience_id) d
     WHERE a.id = d.audience_id;
    RETURN NULL;
END $$;
CREATE FUNCTION audience_members_count_out() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE audiences a SET member_count = a.member_count - d.n
      FROM (SELECT audience_id, count(*) AS n FROM old_rows GROUP BY audience_id) d
     WHERE a.id = d.audience_id;
    RETURN NULL;
END $$;
CREATE TRIGGER audience_members_counted_in AFTER INSERT ON audience_members
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION audience_members_count_in();
CREATE TRIGGER audience_members_counted_out AFTER DELETE ON audience_members
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
    EXECUTE FUNCTION audience_members_count_out();

-- id: UUIDv7 (COLLATE "C": id order is creation order, for the feed and cursors).
CREATE TABLE notifications (
    id text COLLATE "C" PRIMARY KEY,
    account_id text NOT NULL REFERENCES accounts (id),
    system_id text NOT NULL REFERENCES systems (id),
    template_id text NOT NULL REFERENCES templates (id),
    created_by text NOT NULL,
    type text NOT NULL CHECK (type IN ('push', 'popup')),
    title text,
    runtime_title text NOT NULL,
    runtime_description text,
    button_text text,
    button_url text,
    start_at bigint NOT NULL,
    end_at bigint NOT NULL,
    created_at bigint NOT NULL,
    cancelled_at bigint,
    targeted bigint NOT NULL DEFAULT 0,
    started_seq bigint,
    ended_seq bigint
);
CREATE INDEX notifications_system ON notifications (system_id, id);
CREATE INDEX notifications_account ON notifications (account_id, id);
CREATE INDEX notifications_end ON notifications (end_at) WHERE cancelled_at IS NULL;
CREATE INDEX notifications_unstarted ON notifications (start_at) WHERE started_seq IS NULL;
CREATE INDEX notifications_unended ON notifications (end_at) WHERE ended_seq IS NULL;

CREATE TABLE notification_users (
    notification_id text COLLATE "C" NOT NULL REFERENCES notifications (id) ON DELETE CASCADE,
    system_id text NOT NULL,
    end_user_id text COLLATE "C" NOT NULL,
    PRIMARY KEY (notification_id, end_user_id)
);
CREATE INDEX notification_users_user ON notification_users (system_id, end_user_id, notification_id);

CREATE TABLE notification_audiences (
    notification_id text COLLATE "C" NOT NULL REFERENCES notifications (id) ON DELETE CASCADE,
    audience_id text COLLATE "C" NOT NULL REFERENCES audiences (id) ON DELETE CASCADE,
    PRIMARY KEY (notification_id, audience_id)
);
CREATE INDEX notification_audiences_audience ON notification_audiences (audience_id, notification_id);

CREATE TABLE delivery_state (
    notification_id text COLLATE "C" NOT NULL REFERENCES notifications (id) ON DELETE CASCADE,
    system_id text NOT NULL,
    end_user_id text COLLATE "C" NOT NULL,
    received_at bigint,
    seen_at bigint,
    clicked_at bigint,
    dismissed_at bigint,
    PRIMARY KEY (notification_id, end_user_id)
);
CREATE INDEX delivery_state_user ON delivery_state (system_id, end_user_id);

CREATE TABLE idempotency_keys (
    account_id text NOT NULL REFERENCES accounts (id),
    key text NOT NULL,
    body_hash bytea NOT NULL,
    response text NOT NULL,
    status integer NOT NULL,
    created_at bigint NOT NULL,
    PRIMARY KEY (account_id, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

-- The one counter of event seqs: `UPDATE event_counter SET last = last + 1 RETURNING last`
-- holds its row lock until commit, so seqs are handed out in commit order across nodes.
CREATE TABLE event_counter (
    one boolean PRIMARY KEY DEFAULT true CHECK (one),
    last bigint NOT NULL
);
INSERT INTO event_counter (last) VALUES (0);

CREATE TABLE events (
    seq bigint PRIMARY KEY,
    system_id text NOT NULL,
    notification_id text COLLATE "C" NOT NULL REFERENCES notifications (id) ON DELETE CASCADE,
    kind text NOT NULL CHECK (kind IN ('notification', 'retract')),
    at bigint NOT NULL
);
CREATE INDEX events_notification ON events (notification_id, seq);
