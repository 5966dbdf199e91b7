-- 002_key_failures.sql: failed authentications of a key, counted in the store so that every
-- process (and, on PostgreSQL, every node) throttles the same count. Bounded: one pair per key.
ALTER TABLE api_keys ADD COLUMN auth_failures_window INTEGER;
ALTER TABLE api_keys ADD COLUMN auth_failures INTEGER NOT NULL DEFAULT 0;
