// SQL of the usage record family: batch inserts with their idempotency probe, the FOCUS export's
// read of exact prices, and the newest change per UTC day that FOCUS metadata reports.
import pg from "pg";
import type { Database } from "../db/client.js";
import type { UsageRecord } from "../db/generated/client.js";
import { allocateIds, arrayLiteral, insertReturningIds, type ColumnSpec } from "./bulk-insert.js";
import { col, parseRows, type RunSql } from "./rows.js";

/** A usage record about to be stored; prices and credits already computed. */
export type NewUsageRecord = Omit<UsageRecord, "id" | "workspaceId">;

/** The columns a new record fills, in order (the seeds insert these too, after id and workspaceId). */
export const USAGE_RECORD_COLUMNS: (ColumnSpec & { name: keyof NewUsageRecord })[] = [
  { name: "occurredAt", type: "timestamptz" }, { name: "skuId", type: "text" }, { name: "units", type: "numeric" },
  { name: "pricePerUnitUsd", type: "numeric" }, { name: "amount", type: "numeric" }, { name: "currency", type: '"UsageCurrency"' },
  { name: "costUsd", type: "numeric" }, { name: "credits", type: "numeric" }, { name: "notes", type: "text" },
  { name: "requestId", type: "text" }, { name: "inferenceExecutionTimeMs", type: "int4" }, { name: "promptTokens", type: "int4" },
  { name: "completionTokens", type: "int4" }, { name: "cacheReadTokens", type: "int4" }, { name: "cacheWriteTokens", type: "int4" },
  { name: "model", type: "text" }, { name: "apiKeyId", type: "uuid" }, { name: "externalUserId", type: "text" },
  { name: "externalProjectId", type: "text" }, { name: "resourceKind", type: '"ResourceKind"' }, { name: "resourceId", type: "text" },
  { name: "idempotencyKey", type: "text" }, { name: "createdAt", type: "timestamptz" },
];

/**
 * Inserts records, skipping those whose idempotency key the workspace has stored (or a write under
 * way stores: the unique index waits for it to end); returns the new ids by key. Ids are taken in
 * input order, but rows go in by key: two batches that share keys then wait for each other's in the
 * same order, where opposite orders would deadlock.
 */
export async function insertUsageRecords(run: RunSql, workspaceId: string, records: NewUsageRecord[]): Promise<Map<string, bigint>> {
  if (records.length === 0) return new Map();
  const ids = await allocateIds(run, "UsageRecord", records.length);
  const byKey = records.map((_, i) => i).sort((a, b) => (records[a]!.idempotencyKey < records[b]!.idempotencyKey ? -1 : 1));
  const inserted = await insertReturningIds(run, "UsageRecord", [
    { name: "id", type: "int8", values: byKey.map((i) => ids[i]) },
    ...USAGE_RECORD_COLUMNS.map((column) => ({ ...column, values: byKey.map((i) => records[i]![column.name]) })),
  ], {
    constants: [{ name: "workspaceId", type: "uuid", value: workspaceId }],
    onConflict: `ON CONFLICT ("workspaceId", "idempotencyKey") DO NOTHING`,
  });
  // The ids were given in input order: each inserted one names its record.
  const indexOfId = new Map(ids.map((id, i) => [id, i]));
  return new Map(inserted.map((id) => [records[indexOfId.get(id)!]!.idempotencyKey, id]));
}

/** Removes records of the workspace inserted earlier in the same transaction (those the balance could not pay for). */
export async function deleteUsageRecords(run: RunSql, workspaceId: string, ids: bigint[]): Promise<void> {
  if (ids.length > 0) await run(`DELETE FROM "UsageRecord" WHERE "workspaceId" = $1::uuid AND id = ANY($2::int8[])`, [workspaceId, arrayLiteral(ids)]);
}

/**
 * A record as stored, without reading it back: every column is what was sent (decimals already
 * fit their columns, text is refused where PostgreSQL would change it). Completed in place, not
 * copied: the caller made the record for this write, and V8 copies an object of this many
 * properties by a slow path (3–9 µs each): a fifth of an ingested batch's Node CPU.
 */
export const storedUsageRecord = (workspaceId: string, record: NewUsageRecord, id: bigint): UsageRecord => Object.assign(record, { id, workspaceId });

/**
 * The ids of records already stored under some of these idempotency keys, looked up in the
 * (workspaceId, idempotencyKey) index. The workspace is a subquery so that the planner does not see
 * it: for a tenant newer than the statistics it estimated one row, took the (workspaceId, id) index
 * and compared every key with each of the tenant's records (7.5 ms for 20,000 records, growing with
 * each batch; 1.7 ms by the unique index).
 */
export async function existingUsageKeys(run: RunSql, workspaceId: string, keys: string[]): Promise<Map<string, bigint>> {
  if (keys.length === 0) return new Map();
  const rows = parseRows({ idempotencyKey: col.text(), id: col.bigint() }, await run(
    `SELECT "idempotencyKey", id FROM "UsageRecord" WHERE "workspaceId" = (SELECT $1::uuid) AND "idempotencyKey" = ANY($2::text[])`,
    [workspaceId, arrayLiteral(keys)],
  ));
  return new Map(rows.map((row) => [row.idempotencyKey, row.id]));
}

// ---- FOCUS reads --------------------------------------------------------------------------------

/**
 * Usage records, read as text with the exact products computed by PostgreSQL (numeric), in
 * (occurredAt, id) order after a keyset position, with the cost their debit drew from the lots and
 * what it drew from each (its lotDraws). The row comparison lets the scan use the
 * (workspaceId, occurredAt, id) index; an OR of the two conditions scans the whole window. The
 * values are parameters ($1…) or, for COPY, which takes none, literals. The instant's milliseconds
 * come from date_part's double (exact for a millisecond column: its error is far below half a
 * millisecond, and round() takes the nearest), not extract's numeric: the statement over 1,000,000
 * records took 0.14–0.37 s less of its 4.4–5.5 s (2026-12-07).
 */
const focusUsageSql = (v: Record<"workspaceId" | "from" | "to" | "creditPriceUsd" | "afterMs" | "afterId" | "take", string>) => `
  SELECT u.id::text, round(date_part('epoch', u."occurredAt") * 1000)::bigint::text, u."skuId",
    trim_scale(u.units)::text, trim_scale(u.credits)::text,
    trim_scale(COALESCE(c."costUsd", 0))::text,
    trim_scale(u.units * s."listPriceUsd")::text,
    trim_scale(u.units * s."creditsPerUnit" * ${v.creditPriceUsd}::numeric)::text,
    NULLIF(u."resourceId", ''), CASE WHEN u."resourceId" <> '' THEN lower(u."resourceKind"::text) END,
    NULLIF(u.model, ''), NULLIF(u."externalUserId", ''),
    NULLIF(u."externalProjectId", ''), u."apiKeyId"::text, c."lotDraws", trim_scale(-u.credits)::text
  FROM "UsageRecord" u JOIN "Sku" s ON s.id = u."skuId"
    LEFT JOIN "CreditTransaction" c ON c."usageRecordId" = u.id AND c.type = 'USAGE'
  WHERE u."workspaceId" = ${v.workspaceId}::uuid AND u."occurredAt" >= ${v.from}::timestamptz AND u."occurredAt" < ${v.to}::timestamptz
    AND (u."occurredAt", u.id) > (timestamptz 'epoch' + ${v.afterMs}::bigint * interval '1 millisecond', ${v.afterId}::bigint)
  ORDER BY u."occurredAt", u.id
  LIMIT ${v.take}`;

const FOCUS_USAGE_SQL = focusUsageSql({ workspaceId: "$1", from: "$2", to: "$3", creditPriceUsd: "$4", afterMs: "$5", afterId: "$6", take: "$7" });

/** Positions in a FOCUS usage row. */
export const FOCUS_USAGE = {
  id: 0, atMs: 1, skuId: 2, units: 3, credits: 4, effectiveCost: 5, listCost: 6, contractedCost: 7,
  resourceId: 8, resourceKind: 9, model: 10, externalUserId: 11, externalProjectId: 12, apiKeyId: 13, lotDraws: 14,
  negatedCredits: 15,
} as const;

/** A FOCUS usage row: text columns at the FOCUS_USAGE positions (the export's hot path reads arrays). */
export type FocusUsageRow = (string | null)[];

export interface UsagePosition {
  ms: string;
  id: string;
}

export interface FocusUsageQuery {
  workspaceId: string;
  from: Date;
  to: Date;
  creditPriceUsd: string;
}

/** FOCUS usage rows of a window after a keyset position (epoch ms, id), `take` at a time, each to `onRow` as it arrives. */
export function focusUsageReader(db: Database, query: FocusUsageQuery) {
  const params = [query.workspaceId, query.from.toISOString(), query.to.toISOString(), query.creditPriceUsd];
  return (after: UsagePosition, take: number, onRow: (row: FocusUsageRow) => void) => db.streamRows(FOCUS_USAGE_SQL, [...params, after.ms, after.id, take], onRow);
}

/** FOCUS usage records as COPY text: its chunks, how many records they hold, and where the last one is. */
export interface CopiedUsage {
  chunks: Buffer[];
  records: number;
  last: UsagePosition | null;
}

/**
 * The same rows as COPY text (the FOCUS_USAGE fields, tab-separated, \N for null, a row a line),
 * `take` after a keyset position, read whole before the caller writes any: the statement lasts as
 * long as PostgreSQL takes to send them, however slowly the caller's client reads, and holds its
 * connection no longer. Only where the database streams COPY (PostgreSQL; Database.copyOut).
 */
export async function focusUsageCopy(db: Database, query: FocusUsageQuery, after: UsagePosition, take: number): Promise<CopiedUsage> {
  if (!db.copyOut) throw new Error("COPY needs PostgreSQL");
  const literal = pg.escapeLiteral;
  const values = {
    workspaceId: literal(query.workspaceId), from: literal(query.from.toISOString()), to: literal(query.to.toISOString()),
    creditPriceUsd: literal(query.creditPriceUsd), afterMs: literal(after.ms), afterId: literal(after.id), take: String(Math.trunc(take)),
  };
  const chunks: Buffer[] = [];
  let records = 0;
  for await (const chunk of db.copyOut(`COPY (${focusUsageSql(values)}) TO STDOUT`)) {
    chunks.push(chunk);
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) records++;
  }
  return { chunks, records, last: records === 0 ? null : positionOf(lastLine(chunks)) };
}

/** The last line of COPY text, without its newline. */
function lastLine(chunks: Buffer[]): Buffer {
  for (let from = chunks.length - 1; ; from--) {
    const tail = Buffer.concat(chunks.slice(from));
    const start = tail.lastIndexOf(10, tail.length - 2);
    if (start >= 0 || from === 0) return tail.subarray(start + 1, tail.length - 1);
  }
}

/** Where a record of COPY text is in (occurredAt, id) order: its first two fields, the id and the epoch ms. */
function positionOf(line: Buffer): UsagePosition {
  const [id, ms] = line.toString("latin1").split("\t", 2);
  return { ms: ms!, id: id! };
}

/** The newest change to each UTC day of a window: usage written, or a ledger row posted. */
export async function lastChangeByUtcDay(run: RunSql, workspaceId: string, from: Date, to: Date): Promise<{ day: Date; updated: Date | null }[]> {
  // timestamptz days cut in UTC and 24-hour steps: independent of the session's time zone.
  return parseRows({ day: col.date(), updated: col.date().nullable() }, await run(
    `SELECT d.day, GREATEST(
      (SELECT MAX("createdAt") FROM "UsageRecord" u
        WHERE u."workspaceId" = $1::uuid AND u."occurredAt" >= d.day AND u."occurredAt" < d.day + interval '24 hours'),
      (SELECT MAX("occurredAt") FROM "CreditTransaction" c
        WHERE c."workspaceId" = $1::uuid AND c."occurredAt" >= d.day AND c."occurredAt" < d.day + interval '24 hours')
    ) AS updated
    FROM generate_series(date_trunc('day', $2::timestamptz, 'UTC'), $3::timestamptz - interval '1 millisecond', interval '24 hours') AS d(day)
    ORDER BY d.day`,
    [workspaceId, from.toISOString(), to.toISOString()],
  ));
}
