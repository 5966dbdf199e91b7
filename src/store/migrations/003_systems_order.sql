-- 003_systems_order.sql: the account's systems in list order (created_at, then id) straight from
-- the index. Without id in it, SQLite sorted ties in a temporary b-tree on every listing, and
-- a trigger that leaves systemId out lists the account's systems to find its only one.
DROP INDEX systems_account;
CREATE INDEX systems_account ON systems (account_id, created_at, id);
