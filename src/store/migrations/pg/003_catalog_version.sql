-- 003_catalog_version.sql: one number that every change of an API key, a system or a template
-- raises in the same transaction (whichever node makes it), so that each node's loops can keep
-- those rows in memory (store/catalog.h) and read this number alone to know they are still
-- true.
CREATE TABLE catalog_version (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    version BIGINT NOT NULL
);
INSERT INTO catalog_version (id, version) VALUES (1, 0);

CREATE FUNCTION catalog_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE catalog_version SET version = version + 1;
    RETURN NULL;
END
$$;

CREATE TRIGGER api_keys_changed AFTER INSERT OR UPDATE OR DELETE ON api_keys
    FOR EACH ROW EXECUTE FUNCTION catalog_changed();
CREATE TRIGGER systems_changed AFTER INSERT OR UPDATE OR DELETE ON systems
    FOR EACH ROW EXECUTE FUNCTION catalog_changed();
CREATE TRIGGER templates_changed AFTER INSERT OR UPDATE OR DELETE ON templates
    FOR EACH ROW EXECUTE FUNCTION catalog_changed();
