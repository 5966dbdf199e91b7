-- 006_catalog_version.sql: one number that every change of an API key, a system or a template
-- raises in the same transaction (whichever process or connection makes it), so that the loops
-- can keep those rows in memory (store/catalog.h) and read this number alone to know they are
-- still true.
CREATE TABLE catalog_version (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL
) STRICT;
INSERT INTO catalog_version (id, version) VALUES (1, 0);

CREATE TRIGGER api_keys_inserted AFTER INSERT ON api_keys
BEGIN UPDATE catalog_version SET version = version + 1; END;
CREATE TRIGGER api_keys_updated AFTER UPDATE ON api_keys
BEGIN UPDATE catalog_version SET version = version + 1; END;
CREATE TRIGGER api_keys_deleted AFTER DELETE ON api_keys
BEGIN UPDATE catalog_version SET version = version + 1; END;
CREATE TRIGGER systems_inserted AFTER INSERT ON systems
BEGIN UPDATE catalog_version SET version = version + 1; END;
CREATE TRIGGER systems_updated AFTER UPDATE ON systems
BEGIN UPDATE catalog_version SET version = version + 1; END;
CREATE TRIGGER systems_deleted AFTER DELETE ON systems
BEGIN UPDATE catalog_version SET version = version + 1; END;
CREATE TRIGGER templates_inserted AFTER INSERT ON templates
BEGIN UPDATE catalog_version SET version = version + 1; END;
CREATE TRIGGER templates_updated AFTER UPDATE ON templates
BEGIN UPDATE catalog_version SET version = version + 1; END;
CREATE TRIGGER templates_deleted AFTER DELETE ON templates
BEGIN UPDATE catalog_version SET version = version + 1; END;
