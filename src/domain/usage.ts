// Metered usage: ingestion (GraphQL recordUsage and REST POST /api/v1/events share it) and the
// filters of usage listings.
import { z } from "zod";
import type { Actor } from "../auth/actor.js";
import type { PrismaClient } from "../db/client.js";
import { Prisma, type UsageRecord } from "../db/generated/client.js";
import { assertWorkspaceScope } from "./access.js";
import { ValidationError } from "./errors.js";
import { appendLedger, canDebit, Decimal, withLedgerLock, type Tx } from "./ledger.js";
import { priceUsage } from "./pricing.js";
import { UPSERT_USAGE_ROLLUPS } from "./rollups.js";
import { timeRangeWhere } from "./time.js";

export const MAX_USAGE_BATCH = 1_000;
export const USAGE_CURRENCIES = ["USD", "VCU", "DIEM", "BUNDLED_CREDITS", "CREDITS"] as const;
/** Clock skew tolerated for occurredAt in the future. */
const FUTURE_TOLERANCE_MS = 5 * 60_000;

export const decimalString = (maxScale: number) =>
  z
    .union([z.string(), z.number()])
    .transform((value) => String(value).trim())
    .refine((value) => new RegExp(`^-?\\d{1,18}(\\.\\d{1,${maxScale}})?$`).test(value), `must be a decimal number with at most ${maxScale} decimals`);

const optionalText = (max: number) => z.string().trim().min(1).max(max).nullish();
const tokenCount = z.number().int().min(0).max(2_000_000_000).nullish();

export const usageRecordInput = z.object({
  idempotencyKey: z.string().trim().min(1).max(200),
  sku: z.string().trim().min(1).max(100),
  units: decimalString(6).refine((value) => !value.startsWith("-") && Number(value) > 0, "must be greater than 0"),
  currency: z.enum(USAGE_CURRENCIES).default("USD"),
  occurredAt: z.coerce
    .date()
    .nullish()
    .refine((date) => !date || date.getTime() <= Date.now() + FUTURE_TOLERANCE_MS, "must not be in the future"),
  notes: z.string().max(1_000).nullish(),
  requestId: optionalText(200),
  inferenceExecutionTimeMs: z.number().int().min(0).max(86_400_000).nullish(),
  promptTokens: tokenCount,
  completionTokens: tokenCount,
  cacheReadTokens: tokenCount,
  cacheWriteTokens: tokenCount,
  model: optionalText(200),
  externalUserId: optionalText(200),
  externalProjectId: optionalText(200),
  resourceKind: z.enum(["SANDBOX", "COMPUTER", "STORAGE", "INFERENCE"]).nullish(),
  resourceId: optionalText(200),
});

export type UsageRecordInput = z.input<typeof usageRecordInput>;

export type UsageOutcome =
  | { index: number; idempotencyKey: string | null; status: "ACCEPTED"; record: UsageRecord }
  | { index: number; idempotencyKey: string; status: "DUPLICATE"; existingId: bigint }
  | { index: number; idempotencyKey: string | null; status: "REJECTED"; code: string; message: string; path: string[] };

export interface UsageBatchResult {
  accepted: number;
  duplicates: number;
  rejected: number;
  results: UsageOutcome[];
  creditsDebited: Prisma.Decimal;
}

/**
 * Records a batch of usage in one workspace. Each record is accepted (inserted, with its credits
 * debited in the same transaction), a duplicate of an earlier idempotency key, or rejected with a
 * reason; one record's rejection does not affect the others. A batch that is invalid as a whole
 * (empty, too large, not a list) writes nothing and throws ValidationError.
 */
export async function recordUsage(
  prisma: PrismaClient,
  actor: Actor,
  workspaceId: string,
  records: unknown[],
): Promise<UsageBatchResult> {
  assertWorkspaceScope(actor, workspaceId, "write:usage");
  if (!Array.isArray(records) || records.length === 0 || records.length > MAX_USAGE_BATCH) {
    throw ValidationError.single("records", `Send between 1 and ${MAX_USAGE_BATCH} usage records`);
  }
  const outcomes: (UsageOutcome | null)[] = [];
  const parsed: { index: number; input: z.output<typeof usageRecordInput> }[] = [];
  records.forEach((raw, index) => {
    const result = usageRecordInput.safeParse(raw);
    if (result.success) {
      parsed.push({ index, input: result.data });
      outcomes.push(null);
    } else {
      const issue = result.error.issues[0]!;
      const key = typeof (raw as { idempotencyKey?: unknown })?.idempotencyKey === "string" ? (raw as { idempotencyKey: string }).idempotencyKey : null;
      outcomes.push({ index, idempotencyKey: key, status: "REJECTED", code: "VALIDATION_ERROR", message: issue.message, path: issue.path.map(String) });
    }
  });

  const skus = new Map(
    (await prisma.sku.findMany({ where: { id: { in: [...new Set(parsed.map((p) => p.input.sku))] } } })).map((sku) => [sku.id, sku]),
  );
  const apiKeyId = actor.kind === "apiKey" ? actor.apiKeyId : null;

  const written = await withLedgerLock(prisma, workspaceId, async (tx, workspace) => {
    const existing = await existingKeys(tx, workspaceId, parsed.map((p) => p.input.idempotencyKey));
    const seen = new Map(existing);
    let balance = workspace.creditBalance;
    const accepted: { index: number; row: unknown[]; credits: Prisma.Decimal; description: string }[] = [];
    for (const { index, input } of parsed) {
      const duplicateOf = seen.get(input.idempotencyKey);
      if (duplicateOf !== undefined) {
        outcomes[index] = { index, idempotencyKey: input.idempotencyKey, status: "DUPLICATE", existingId: duplicateOf };
        continue;
      }
      const sku = skus.get(input.sku);
      if (!sku) {
        outcomes[index] = reject(index, input.idempotencyKey, "UNKNOWN_SKU", `Unknown SKU "${input.sku}"`, ["sku"]);
        continue;
      }
      const units = new Decimal(input.units);
      const price = priceUsage(sku, units, input.currency);
      if (!canDebit(workspace, balance, price.credits)) {
        outcomes[index] = reject(index, input.idempotencyKey, "INSUFFICIENT_CREDITS",
          `Insufficient credits: balance ${balance.toFixed()}, required ${price.credits.toFixed()}`, []);
        continue;
      }
      balance = balance.minus(price.credits);
      seen.set(input.idempotencyKey, IN_THIS_BATCH);
      accepted.push({
        index,
        credits: price.credits,
        description: `${sku.name}: ${units.toFixed()} ${sku.unit}`,
        row: [
          (input.occurredAt ?? new Date()).toISOString(), sku.id, units.toFixed(), price.pricePerUnitUsd.toFixed(),
          price.amount.toFixed(), input.currency, price.costUsd.toFixed(), price.credits.toFixed(), input.notes ?? null,
          input.requestId ?? null, input.inferenceExecutionTimeMs ?? null, input.promptTokens ?? null,
          input.completionTokens ?? null, input.cacheReadTokens ?? null, input.cacheWriteTokens ?? null,
          input.model ?? sku.model, apiKeyId, input.externalUserId ?? null, input.externalProjectId ?? null,
          input.resourceKind ?? sku.resourceKind, input.resourceId ?? null, input.idempotencyKey,
        ],
      });
    }
    const inserted = await insertUsageRows(tx, workspaceId, accepted.map((a) => a.row));
    await appendLedger(
      tx,
      workspace,
      accepted.map((a, i) => ({
        type: "USAGE" as const,
        amount: a.credits.neg(),
        description: a.description,
        usageRecordId: inserted[i]!.id,
        occurredAt: inserted[i]!.occurredAt,
      })),
    );
    const ids = inserted.map((row) => row.id.toString());
    if (ids.length > 0) for (const upsert of UPSERT_USAGE_ROLLUPS) await tx.$executeRawUnsafe(upsert, ids);
    return accepted.map((a, i) => ({ index: a.index, record: inserted[i]!, credits: a.credits }));
  });

  const idsByKey = new Map(written.map(({ record }) => [record.idempotencyKey, record.id]));
  for (const { index, record } of written) {
    outcomes[index] = { index, idempotencyKey: record.idempotencyKey, status: "ACCEPTED", record };
  }
  const results = outcomes as UsageOutcome[];
  for (const result of results) {
    if (result.status === "DUPLICATE" && result.existingId === IN_THIS_BATCH) result.existingId = idsByKey.get(result.idempotencyKey)!;
  }
  return {
    accepted: written.length,
    duplicates: results.filter((r) => r.status === "DUPLICATE").length,
    rejected: results.filter((r) => r.status === "REJECTED").length,
    results,
    creditsDebited: written.reduce((sum, w) => sum.plus(w.credits), new Decimal(0)),
  };
}

/** Marks a key first seen earlier in the same batch; replaced by that record's id once inserted. */
const IN_THIS_BATCH = 0n;

function reject(index: number, idempotencyKey: string, code: string, message: string, path: string[]): UsageOutcome {
  return { index, idempotencyKey, status: "REJECTED", code, message, path };
}

async function existingKeys(tx: Tx, workspaceId: string, keys: string[]): Promise<Map<string, bigint>> {
  if (keys.length === 0) return new Map();
  const rows = await tx.$queryRaw<{ idempotencyKey: string; id: bigint }[]>`
    SELECT "idempotencyKey", id FROM "UsageRecord" WHERE "workspaceId" = ${workspaceId}::uuid AND "idempotencyKey" = ANY(${keys}::text[])`;
  return new Map(rows.map((row) => [row.idempotencyKey, row.id]));
}

/** Inserts rows in input order (ids ascend with it) and returns them as stored. */
async function insertUsageRows(tx: Tx, workspaceId: string, rows: unknown[][]): Promise<UsageRecord[]> {
  if (rows.length === 0) return [];
  const columns = rows[0]!.map((_, i) => rows.map((row) => row[i] ?? null));
  return tx.$queryRawUnsafe<UsageRecord[]>(
    `INSERT INTO "UsageRecord" ("workspaceId", "occurredAt", "skuId", "units", "pricePerUnitUsd", "amount", "currency",
       "costUsd", "credits", "notes", "requestId", "inferenceExecutionTimeMs", "promptTokens", "completionTokens",
       "cacheReadTokens", "cacheWriteTokens", "model", "apiKeyId", "externalUserId", "externalProjectId", "resourceKind",
       "resourceId", "idempotencyKey")
     SELECT $1::uuid, c1, c2, c3, c4, c5, c6::"UsageCurrency", c7, c8, c9, c10, c11, c12, c13, c14, c15, c16, c17, c18, c19,
       c20::"ResourceKind", c21, c22
     FROM unnest($2::timestamptz[], $3::text[], $4::numeric[], $5::numeric[], $6::numeric[], $7::text[], $8::numeric[],
       $9::numeric[], $10::text[], $11::text[], $12::int4[], $13::int4[], $14::int4[], $15::int4[], $16::int4[], $17::text[],
       $18::uuid[], $19::text[], $20::text[], $21::text[], $22::text[], $23::text[])
       WITH ORDINALITY AS r(c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13, c14, c15, c16, c17, c18, c19, c20, c21, c22, n)
     ORDER BY n
     RETURNING *`,
    workspaceId,
    ...columns,
  ).then((inserted) => inserted.sort((a, b) => (a.id < b.id ? -1 : 1)));
}

export interface UsageFilter {
  from?: Date | null;
  to?: Date | null;
  currency?: string | null;
  skuId?: string | null;
  model?: string | null;
  apiKeyId?: string | null;
  externalUserId?: string | null;
  externalProjectId?: string | null;
}

/** The where-clause of usage listings (within a workspace the caller has chosen). */
export function usageWhere(filter: UsageFilter): Prisma.UsageRecordWhereInput {
  return {
    ...timeRangeWhere("occurredAt", filter.from, filter.to),
    ...(filter.currency ? { currency: filter.currency as never } : {}),
    ...(filter.skuId ? { skuId: filter.skuId } : {}),
    ...(filter.model ? { model: filter.model } : {}),
    ...(filter.apiKeyId ? { apiKeyId: filter.apiKeyId } : {}),
    ...(filter.externalUserId ? { externalUserId: filter.externalUserId } : {}),
    ...(filter.externalProjectId ? { externalProjectId: filter.externalProjectId } : {}),
  };
}

/** One offset page of a workspace's usage rows and the total (the Billing Usage API pages by number). */
export async function usagePage(
  prisma: PrismaClient,
  actor: Actor,
  workspaceId: string,
  filter: UsageFilter,
  page: { skip: number; take: number; order: "asc" | "desc" },
): Promise<{ rows: UsageRecord[]; total: number }> {
  assertWorkspaceScope(actor, workspaceId, "read:billing");
  const where = { workspaceId, ...usageWhere(filter) };
  const [rows, total] = await Promise.all([
    prisma.usageRecord.findMany({ where, orderBy: [{ occurredAt: page.order }, { id: page.order }], skip: page.skip, take: page.take }),
    prisma.usageRecord.count({ where }),
  ]);
  return { rows, total };
}
