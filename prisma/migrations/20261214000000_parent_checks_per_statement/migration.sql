-- Four relations that ingestion writes a thousand rows of at a time are checked once per statement
-- instead of once per row: a usage record's workspace and SKU, a ledger row's workspace and an
-- allocation's ledger row. A foreign key checks each new row on its own (a query per row, under
-- a lock on the parent row that concurrent batches share): 5 ms per 1,000 rows and relation, a
-- third of PostgreSQL's CPU during ingestion. The triggers below keep what the keys guaranteed:
-- - the child's statement locks each distinct parent FOR KEY SHARE, as the key's check does (so
--   that the parent cannot be deleted or its key changed until the writer commits), and fails
--   with foreign_key_violation (23503), naming the key it replaces, if one is missing;
-- - deleting parents deletes their children (ON DELETE CASCADE) or is refused while children
--   name them (RESTRICT), and changing a parent's key changes the children's (ON UPDATE CASCADE).
-- Each trigger is named after the key it replaces and the event it follows (transition tables take
-- one event a trigger); its arguments say which relation it keeps. As a key's checks and actions
-- run as the tables' owner, so do these functions (SECURITY DEFINER), with the tables named in the
-- trigger's own schema whatever the caller's search_path.

ALTER TABLE "UsageRecord" DROP CONSTRAINT "UsageRecord_workspaceId_fkey";
ALTER TABLE "UsageRecord" DROP CONSTRAINT "UsageRecord_skuId_fkey";
ALTER TABLE "CreditTransaction" DROP CONSTRAINT "CreditTransaction_workspaceId_fkey";
ALTER TABLE "CreditAllocation" DROP CONSTRAINT "CreditAllocation_transactionId_fkey";

-- Arguments: the key's name, the child's column, the parent table (whose key is its "id").
CREATE FUNCTION parent_rows_exist() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  key_name text := TG_ARGV[0];
  child_column text := TG_ARGV[1];
  parent_table text := format('%I.%I', TG_TABLE_SCHEMA, TG_ARGV[2]);
  wanted bigint;
  locked bigint;
  missing text;
BEGIN
  EXECUTE format('SELECT count(DISTINCT %I) FROM new_rows', child_column) INTO wanted;
  IF wanted = 0 THEN RETURN NULL; END IF;
  EXECUTE format(
    'SELECT count(*) FROM (SELECT 1 FROM %s p WHERE p.id = ANY (ARRAY(SELECT DISTINCT %I FROM new_rows)) FOR KEY SHARE OF p) locked',
    parent_table, child_column) INTO locked;
  IF locked < wanted THEN
    EXECUTE format('SELECT n.%1$I::text FROM new_rows n WHERE n.%1$I IS NOT NULL AND NOT EXISTS (SELECT 1 FROM %2$s p WHERE p.id = n.%1$I) LIMIT 1',
      child_column, parent_table) INTO missing;
    RAISE EXCEPTION 'insert or update on table "%" violates foreign key constraint "%"', TG_TABLE_NAME, key_name
      USING ERRCODE = 'foreign_key_violation', CONSTRAINT = key_name, TABLE = TG_TABLE_NAME,
        DETAIL = format('Key (%s)=(%s) is not present in table "%s".', child_column, missing, TG_ARGV[2]);
  END IF;
  RETURN NULL;
END $$;

-- Arguments: the key's name, the child table, its column, and what deleting a parent does: CASCADE or RESTRICT.
CREATE FUNCTION delete_child_rows() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  key_name text := TG_ARGV[0];
  child_table text := format('%I.%I', TG_TABLE_SCHEMA, TG_ARGV[1]);
  child_column text := TG_ARGV[2];
  action text := TG_ARGV[3];
  named text;
BEGIN
  IF action = 'CASCADE' THEN
    EXECUTE format('DELETE FROM %s WHERE %I = ANY (ARRAY(SELECT id FROM old_rows))', child_table, child_column);
  ELSE
    EXECUTE format('SELECT %2$I::text FROM %1$s WHERE %2$I = ANY (ARRAY(SELECT id FROM old_rows)) LIMIT 1', child_table, child_column) INTO named;
    IF named IS NOT NULL THEN
      RAISE EXCEPTION 'update or delete on table "%" violates foreign key constraint "%" on table "%"', TG_TABLE_NAME, key_name, TG_ARGV[1]
        USING ERRCODE = 'foreign_key_violation', CONSTRAINT = key_name, TABLE = TG_ARGV[1],
          DETAIL = format('Key (id)=(%s) is still referenced from table "%s".', named, TG_ARGV[1]);
    END IF;
  END IF;
  RETURN NULL;
END $$;

-- Arguments: the child table and its column. Fires only when the parent's key changes.
CREATE FUNCTION update_child_keys() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  EXECUTE format('UPDATE %I.%I SET %I = $1 WHERE %I = $2', TG_TABLE_SCHEMA, TG_ARGV[0], TG_ARGV[1], TG_ARGV[1]) USING NEW.id, OLD.id;
  RETURN NULL;
END $$;

-- The four relations: child, its column, parent, what deleting a parent does. Each has a check of
-- its child's inserts and one of its updates, and follows its parents' deletes and key changes.
DO $$
DECLARE
  r record;
  key_name text;
BEGIN
  FOR r IN SELECT * FROM (VALUES
    ('UsageRecord', 'workspaceId', 'Workspace', 'CASCADE'),
    ('UsageRecord', 'skuId', 'Sku', 'RESTRICT'),
    ('CreditTransaction', 'workspaceId', 'Workspace', 'CASCADE'),
    ('CreditAllocation', 'transactionId', 'CreditTransaction', 'CASCADE')
  ) AS relation (child, child_column, parent, on_delete) LOOP
    key_name := format('%s_%s_fkey', r.child, r.child_column);
    EXECUTE format('CREATE TRIGGER %I AFTER INSERT ON %I REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION parent_rows_exist(%L, %L, %L)',
      key_name || '_insert', r.child, key_name, r.child_column, r.parent);
    EXECUTE format('CREATE TRIGGER %I AFTER UPDATE ON %I REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION parent_rows_exist(%L, %L, %L)',
      key_name || '_update', r.child, key_name, r.child_column, r.parent);
    EXECUTE format('CREATE TRIGGER %I AFTER DELETE ON %I REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION delete_child_rows(%L, %L, %L, %L)',
      key_name || '_parent_delete', r.parent, key_name, r.child, r.child_column, r.on_delete);
    EXECUTE format('CREATE TRIGGER %I AFTER UPDATE OF id ON %I FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id) EXECUTE FUNCTION update_child_keys(%L, %L)',
      key_name || '_parent_update', r.parent, r.child, r.child_column);
  END LOOP;
END $$;
