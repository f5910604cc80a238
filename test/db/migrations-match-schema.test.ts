// The migrations are hand-written SQL (Prisma Migrate cannot run here); this proves that applying
// them yields exactly the tables, columns, types, nullability, indexes, enums and foreign keys
// that prisma/schema.prisma describes.
import fs from "node:fs";
import { get_dmmf } from "@prisma/prisma-schema-wasm";
import { describe, expect } from "vitest";
import type { Database } from "../../src/db/client.js";
import { databaseTest } from "../helpers/fixtures.js";

interface DmmfField {
  name: string;
  kind: "scalar" | "enum" | "object";
  type: string;
  nativeType: [string, string[]] | null;
  isRequired: boolean;
  isList: boolean;
  dbName: string | null;
  relationFromFields?: string[];
  relationToFields?: string[];
  relationOnDelete?: string;
}
interface DmmfModel { name: string; dbName: string | null; fields: DmmfField[] }
interface DmmfIndex { model: string; type: "id" | "unique" | "normal" | "fulltext"; dbName?: string; fields: { name: string }[] }
interface Dmmf { datamodel: { models: DmmfModel[]; enums: { name: string; values: { name: string }[] }[]; indexes: DmmfIndex[] } }

const prismaSchema = fs.readFileSync(new URL("../../prisma/schema.prisma", import.meta.url), "utf8");
const dmmf = JSON.parse(get_dmmf(JSON.stringify({ prismaSchema }))) as Dmmf;

/** Partial indexes' predicates by index name: the DMMF leaves them out, so they are read from the schema text. */
const schemaPredicates = new Map(
  [...prismaSchema.matchAll(/map:\s*"([^"]+)",\s*where:\s*raw\("((?:[^"\\]|\\.)*)"\)/g)].map((m) => [m[1]!, m[2]!.replace(/\\"/g, '"')]),
);

/** A predicate without the quoting, casts and parentheses that PostgreSQL adds when it prints one. */
const normalizePredicate = (sql: string) => sql.replace(/::"?\w+"?/g, "").replace(/["()\s]/g, "").toLowerCase();

/** The column type that information_schema reports for a Prisma field. */
function expectedType(field: DmmfField): string {
  if (field.isList) return `ARRAY:_${expectedType({ ...field, isList: false }).replace("character varying", "varchar")}`;
  if (field.kind === "enum") return `USER-DEFINED:${field.type}`;
  const [native, args] = field.nativeType ?? [null, []];
  switch (field.type) {
    case "String":
      return native === "Uuid" ? "uuid" : "text";
    case "Int":
      return "integer";
    case "BigInt":
      return "bigint";
    case "Boolean":
      return "boolean";
    case "Json":
      return "jsonb";
    case "Decimal":
      return `numeric(${args.join(",") || "65,30"})`;
    case "DateTime":
      if (native === "Date") return "date";
      return `timestamp with time zone(${args[0] ?? "3"})`;
    default:
      throw new Error(`unmapped Prisma type ${field.type}`);
  }
}

const test = databaseTest();

/** The relations that ingestion writes in thousands, checked per statement by triggers instead of per row by foreign keys. */
const PER_STATEMENT = new Set(["UsageRecord_workspaceId_fkey", "UsageRecord_skuId_fkey", "CreditTransaction_workspaceId_fkey", "CreditAllocation_transactionId_fkey"]);
const queryRows = <T>(db: Database, sql: string) => db.prisma.$queryRawUnsafe<T[]>(sql);

describe("migrations and schema.prisma", () => {
  test("create exactly the modelled tables and columns, with their types and nullability", async ({ db }) => {
    const query = <T>(sql: string) => queryRows<T>(db, sql);
    const columns = await query<{
      table_name: string; column_name: string; data_type: string; udt_name: string; is_nullable: string;
      numeric_precision: number | null; numeric_scale: number | null; datetime_precision: number | null;
    }>(`SELECT table_name, column_name, data_type, udt_name, is_nullable, numeric_precision, numeric_scale, datetime_precision
        FROM information_schema.columns WHERE table_schema = 'public' AND table_name <> '_prisma_migrations'`);
    const actual = new Map<string, string>();
    for (const c of columns) {
      let type = c.data_type;
      if (type === "numeric") type = `numeric(${c.numeric_precision},${c.numeric_scale})`;
      if (type === "timestamp with time zone") type = `${type}(${c.datetime_precision})`;
      if (type === "USER-DEFINED" || type === "ARRAY") type = `${type}:${c.udt_name}`;
      actual.set(`${c.table_name}.${c.column_name}`, `${type} ${c.is_nullable === "YES" ? "NULL" : "NOT NULL"}`);
    }
    const expected = new Map<string, string>();
    for (const model of dmmf.datamodel.models) {
      for (const field of model.fields.filter((f) => f.kind !== "object")) {
        // Prisma leaves scalar lists nullable in PostgreSQL.
        const nullable = field.isList || !field.isRequired;
        expected.set(`${model.dbName ?? model.name}.${field.dbName ?? field.name}`, `${expectedType(field)} ${nullable ? "NULL" : "NOT NULL"}`);
      }
    }
    expect(Object.fromEntries([...actual].sort())).toEqual(Object.fromEntries([...expected].sort()));
  });

  test("create the modelled primary keys, unique and secondary indexes, and nothing else", async ({ db }) => {
    const query = <T>(sql: string) => queryRows<T>(db, sql);
    const indexes = await query<{ table: string; columns: string[]; unique: boolean; primary: boolean; predicate: string | null }>(`
      SELECT t.relname AS "table", i.indisunique AS "unique", i.indisprimary AS "primary", pg_get_expr(i.indpred, i.indrelid) AS predicate,
        ARRAY(SELECT a.attname::text FROM unnest(i.indkey) WITH ORDINALITY k(attnum, ord)
              JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum ORDER BY k.ord) AS columns
      FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace
      WHERE n.nspname = 'public' AND t.relname <> '_prisma_migrations'`);
    const describeIndex = (table: string, columns: string[], kind: string, predicate: string | null | undefined) =>
      `${table}(${columns.join(",")}) ${kind}${predicate ? ` where ${normalizePredicate(predicate)}` : ""}`;
    const actual = indexes
      .map((i) => describeIndex(i.table, i.columns, i.primary ? "id" : i.unique ? "unique" : "normal", i.predicate))
      .sort();
    const expected = dmmf.datamodel.indexes
      .map((i) => describeIndex(i.model, i.fields.map((f) => f.name), i.type, i.dbName ? schemaPredicates.get(i.dbName) : null))
      .sort();
    expect(schemaPredicates.size).toBeGreaterThan(0); // the pattern above still finds the schema's partial indexes
    expect(actual).toEqual(expected);
  });

  test("create the modelled enums with their values in order", async ({ db }) => {
    const query = <T>(sql: string) => queryRows<T>(db, sql);
    const rows = await query<{ name: string; values: string[] }>(`
      SELECT t.typname AS name, ARRAY(SELECT e.enumlabel::text FROM pg_enum e WHERE e.enumtypid = t.oid ORDER BY e.enumsortorder) AS values
      FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE n.nspname = 'public' AND t.typtype = 'e'`);
    const actual = Object.fromEntries(rows.map((r) => [r.name, r.values]));
    const expected = Object.fromEntries(dmmf.datamodel.enums.map((e) => [e.name, e.values.map((v) => v.name)]));
    expect(actual).toEqual(expected);
  });

  test("keep every modelled relation: by a foreign key, or by the triggers that check it per statement", async ({ db }) => {
    const query = <T>(sql: string) => queryRows<T>(db, sql);
    const keys = await query<{ fk: string; onDelete: string }>(`
      SELECT format('%s(%s)->%s(%s)', c.conrelid::regclass::text,
        (SELECT string_agg(a.attname, ',') FROM unnest(c.conkey) k JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k),
        c.confrelid::regclass::text,
        (SELECT string_agg(a.attname, ',') FROM unnest(c.confkey) k JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k)) AS fk,
        c.confdeltype::text AS "onDelete"
      FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace WHERE c.contype = 'f' AND n.nspname = 'public'`);
    // A relation kept by triggers has four (migration 20261214000000): its child's inserts and updates
    // checked, its parents' deletes and key changes followed; arguments as that migration documents them.
    const triggers = await query<{ table: string; name: string; fn: string; args: string }>(`
      SELECT c.relname AS "table", t.tgname AS name, p.proname AS fn, encode(t.tgargs, 'escape') AS args
      FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_proc p ON p.oid = t.tgfoid
      WHERE NOT t.tgisinternal AND p.proname IN ('parent_rows_exist', 'delete_child_rows', 'update_child_keys')`);
    const kept = new Map<string, string[]>();
    const keep = (relation: string, part: string) => kept.set(relation, [...(kept.get(relation) ?? []), part].sort());
    for (const t of triggers) {
      const args = t.args.split("\\000").filter(Boolean);
      if (t.fn === "parent_rows_exist") keep(`${t.table}(${args[1]})->${args[2]}(id)`, `check ${t.name}`);
      else if (t.fn === "delete_child_rows") keep(`${args[1]}(${args[2]})->${t.table}(id)`, `delete ${args[3]} ${t.name}`);
      else keep(`${args[0]}(${args[1]})->${t.table}(id)`, `update ${t.name}`);
    }
    const DELETE_ACTIONS: Record<string, string> = { c: "Cascade", r: "Restrict", a: "NoAction", n: "SetNull", d: "SetDefault" };
    const actual = [
      ...keys.map((k) => `${k.fk.replace(/"/g, "")} ${DELETE_ACTIONS[k.onDelete]}`),
      ...[...kept].map(([relation, parts]) => `${relation} ${parts.join("; ")}`),
    ].sort();
    const expected = dmmf.datamodel.models
      .flatMap((m) =>
        m.fields
          .filter((f) => f.kind === "object" && f.relationFromFields?.length)
          .map((f) => {
            const relation = `${m.name}(${f.relationFromFields!.join(",")})->${f.type}(${f.relationToFields!.join(",")})`;
            // Prisma's default for a required relation is Restrict, which the migrations write as such.
            const onDelete = f.relationOnDelete ?? (f.isRequired ? "Restrict" : "SetNull");
            const key = `${m.name}_${f.relationFromFields!.join("_")}_fkey`;
            return PER_STATEMENT.has(key)
              ? `${relation} ${[`check ${key}_insert`, `check ${key}_update`, `delete ${onDelete.toUpperCase()} ${key}_parent_delete`, `update ${key}_parent_update`].sort().join("; ")}`
              : `${relation} ${onDelete}`;
          }),
      )
      .sort();
    expect(kept.size).toBe(PER_STATEMENT.size);
    expect(actual).toEqual(expected);
  });
});
