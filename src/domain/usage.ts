// Metered usage: ingestion (GraphQL recordUsage and REST POST /api/v1/events share it), listings
// and node lookups. Every record of a batch stands on its own: a bad record is rejected with its
// reason and the good ones are stored.
import { z } from "zod";
import type { ApiKey, Prisma, Sku, UsageRecord } from "../db/generated/client.js";
import { addUsageToAggregates } from "../store/aggregates.js";
import { workspaceMayPay } from "../store/ledger.js";
import { directSql, together, type RunSql } from "../store/rows.js";
import { deleteUsageRecords, existingUsageKeys, insertUsageRecords, storedUsageRecord, type NewUsageRecord } from "../store/usage-records.js";
import { GRAPHQL_PAGE, keysetConnection, timeIdKey, timeIdOrder, timeIdRange, type Connection, type ConnectionArgs } from "./connections.js";
import type { RequestContext } from "./context.js";
import { ForbiddenError, ValidationError } from "./errors.js";
import { appendLedger, balanceFits, balanceOf, canDebit, Decimal, withLedgerLock, type CreditBalance } from "./ledger.js";
import { chargeProblem, priceUsage } from "./pricing.js";
import { checkedName } from "./rules/check.js";
import { happenedProblem, instantProblem, readInstant } from "./rules/instants.js";
import { NO_MATCH, UUID } from "./rules/ids.js";
import { count, decimal } from "./rules/numbers.js";
import { pageSize, type PageRule } from "./rules/pages.js";
import { freeText, name } from "./rules/text.js";
import { rangeFilter } from "./rules/windows.js";
import { readSelection, workspaceFor, type Selection, type WorkspaceTarget } from "./workspaces.js";

export const MAX_USAGE_BATCH = 1_000;
export const USAGE_CURRENCIES = ["USD", "VCU", "DIEM", "BUNDLED_CREDITS", "CREDITS"] as const;
export const RESOURCE_KINDS = ["SANDBOX", "COMPUTER", "STORAGE", "INFERENCE"] as const;

/** An instant from JSON (ISO 8601 text) or from GraphQL (already a Date); nothing else. */
const occurredAt = z.union([z.date(), z.string()], "must be an ISO 8601 date-time").transform((value, ctx) => {
  const parsed = typeof value === "string" ? readInstant(value) : instantProblem(value) ? { ok: false as const, problem: instantProblem(value)! } : { ok: true as const, value };
  if (parsed.ok) return parsed.value;
  ctx.addIssue({ code: "custom", message: parsed.problem });
  return z.NEVER;
});

export const usageRecordInput = z.object({
  idempotencyKey: name(200),
  sku: name(100),
  units: decimal({ precision: 24, scale: 6, sign: "positive" }),
  currency: z.enum(USAGE_CURRENCIES).default("USD"),
  occurredAt: occurredAt.nullish(),
  notes: freeText(1_000).nullish(),
  requestId: name(200).nullish(),
  inferenceExecutionTimeMs: count(86_400_000).nullish(),
  promptTokens: count(2_000_000_000).nullish(),
  completionTokens: count(2_000_000_000).nullish(),
  cacheReadTokens: count(2_000_000_000).nullish(),
  cacheWriteTokens: count(2_000_000_000).nullish(),
  model: name(200).nullish(),
  externalUserId: name(200).nullish(),
  externalProjectId: name(200).nullish(),
  resourceKind: z.enum(RESOURCE_KINDS).nullish(),
  resourceId: name(200).nullish(),
}, "must be a usage record object");

export type UsageRecordInput = z.input<typeof usageRecordInput>;
type ParsedRecord = z.output<typeof usageRecordInput>;

export type UsageOutcome =
  | { index: number; idempotencyKey: string | null; status: "ACCEPTED"; record: UsageRecord }
  | { index: number; idempotencyKey: string; status: "DUPLICATE"; existingId: bigint; workspaceId: string }
  | { index: number; idempotencyKey: string | null; status: "REJECTED"; code: string; message: string; path: string[] };

export interface UsageBatchResult {
  workspaceId: string;
  /** The workspace's balance once the batch is written, for callers that may read billing; read when asked (REST clients do not). */
  balance(): Promise<CreditBalance | null>;
  accepted: number;
  duplicates: number;
  rejected: number;
  results: UsageOutcome[];
  creditsDebited: Decimal;
}

const rejected = (index: number, idempotencyKey: string | null, code: string, message: string, path: string[]): UsageOutcome =>
  ({ index, idempotencyKey, status: "REJECTED", code, message, path });
const duplicate = (index: number, idempotencyKey: string, existingId: bigint, workspaceId: string): UsageOutcome =>
  ({ index, idempotencyKey, status: "DUPLICATE", existingId, workspaceId });

/** A record parsed on its own: valid to store, or the reason it is refused. */
function parseRecord(raw: unknown, index: number, now: Date): { index: number; input: ParsedRecord } | UsageOutcome {
  const result = usageRecordInput.safeParse(raw);
  const key = typeof (raw as { idempotencyKey?: unknown } | null)?.idempotencyKey === "string" ? (raw as { idempotencyKey: string }).idempotencyKey.slice(0, 200) : null;
  if (!result.success) {
    const issue = result.error.issues[0]!;
    return rejected(index, key, "VALIDATION_ERROR", issue.message, issue.path.map(String));
  }
  const late = result.data.occurredAt ? happenedProblem(result.data.occurredAt, now) : null;
  if (late) return rejected(index, key, "VALIDATION_ERROR", late, ["occurredAt"]);
  return { index, input: result.data };
}

/** A record's idempotency key as it would be stored (the record's own rule), or null if it has no valid one. */
function keyOf(raw: unknown): string | null {
  const parsed = usageRecordInput.shape.idempotencyKey.safeParse((raw as { idempotencyKey?: unknown } | null)?.idempotencyKey);
  return parsed.success ? parsed.data : null;
}

/**
 * Records a batch of usage in one workspace. Each record is accepted (inserted, with its credits
 * debited in the same transaction), a duplicate of an earlier idempotency key, or rejected with a
 * reason; one record's rejection does not affect the others. A key repeated within the batch
 * refers to its first chargeable record. A batch that is invalid as a whole (not a list, empty,
 * too large) writes nothing and throws ValidationError.
 */
export async function recordUsage(ctx: RequestContext, target: WorkspaceTarget, records: unknown): Promise<UsageBatchResult> {
  const workspace = await workspaceFor(ctx, target, "write:usage");
  if (!Array.isArray(records) || records.length === 0 || records.length > MAX_USAGE_BATCH) {
    throw ValidationError.single("records", `Send between 1 and ${MAX_USAGE_BATCH} usage records`);
  }
  // Keys stored earlier are duplicates whatever the records hold now: a retried batch is answered
  // without validating or pricing its records, or waiting for the workspace's lock. The insert
  // below skips keys stored meanwhile.
  const keys = records.map(keyOf);
  const storedEarlier = await existingUsageKeys(directSql(ctx.db), workspace.id, [...new Set(keys.filter((key) => key !== null))]);
  const outcomes = keys.map((key, index): UsageOutcome | null => {
    const existingId = key === null ? undefined : storedEarlier.get(key);
    return existingId === undefined ? null : duplicate(index, key!, existingId, workspace.id);
  });
  const fresh: { index: number; input: ParsedRecord }[] = [];
  const now = ctx.clock.now();
  records.forEach((raw, index) => {
    if (outcomes[index]) return;
    const parsed = parseRecord(raw, index, now);
    if ("status" in parsed) outcomes[index] = parsed;
    else fresh.push(parsed);
  });
  const skus = fresh.length === 0 ? new Map<string, Sku>()
    : new Map((await ctx.db.prisma.sku.findMany({ where: { id: { in: [...new Set(fresh.map((p) => p.input.sku))] } } })).map((sku) => [sku.id, sku]));
  // Priced before the lock, which only the balance needs. A key repeated in the batch refers to
  // its first chargeable record: a duplicate of it once stored, refused with it otherwise.
  const candidates = new Map<string, Candidate>();
  const repeats: { index: number; key: string }[] = [];
  for (const { index, input } of fresh) {
    const { problem, charge } = priceRecord(ctx, input, skus.get(input.sku), now);
    if (problem) outcomes[index] = rejected(index, input.idempotencyKey, problem.code, problem.message, problem.path);
    else if (candidates.has(input.idempotencyKey)) repeats.push({ index, key: input.idempotencyKey });
    else candidates.set(input.idempotencyKey, { index, ...charge });
  }

  // Before the lock: the rows go in while another batch of the workspace holds it. A key that
  // another write stored meanwhile is skipped (the unique index waits for that write to end). A
  // workspace that cannot pay now inserts under the lock instead, only what it can pay for then:
  // a tenant out of credits would otherwise insert every batch only to delete it again.
  const insertEarly = async (run: RunSql) => {
    if (!(await workspaceMayPay(run, workspace.id))) return null;
    const inserted = await insertUsageRecords(run, workspace.id, [...candidates.values()].map((c) => c.record));
    const storedMeanwhile = await existingUsageKeys(run, workspace.id, [...candidates.keys()].filter((key) => !inserted.has(key)));
    return { inserted, storedMeanwhile };
  };
  const written = candidates.size === 0 ? [] : await withLedgerLock(ctx, workspace.id, async (run, locked, early) => {
    const storedMeanwhile = early?.storedMeanwhile ?? (await existingUsageKeys(run, workspace.id, [...candidates.keys()]));
    let balance = locked.creditBalance;
    const paid: Candidate[] = [];
    const unaffordable: bigint[] = [];
    for (const [key, candidate] of candidates) {
      const existingId = storedMeanwhile.get(key);
      if (existingId !== undefined) {
        outcomes[candidate.index] = duplicate(candidate.index, key, existingId, workspace.id);
        continue;
      }
      const after = balance.minus(candidate.credits);
      if (!canDebit(locked, balance, candidate.credits) || !balanceFits(after)) {
        outcomes[candidate.index] = rejected(candidate.index, key, "INSUFFICIENT_CREDITS", `Insufficient credits: balance ${balance.toFixed()}, required ${candidate.credits.toFixed()}`, []);
        const id = early?.inserted.get(key);
        if (id !== undefined) unaffordable.push(id);
      } else {
        balance = after;
        paid.push(candidate);
      }
    }
    await deleteUsageRecords(run, workspace.id, unaffordable);
    const ids = early?.inserted ?? (await insertUsageRecords(run, workspace.id, paid.map((c) => c.record)));
    const accepted = paid.map((candidate) => {
      const id = ids.get(candidate.record.idempotencyKey);
      // Every key was either inserted by this batch or found stored: the unique index decides one or the other.
      if (id === undefined) throw new Error(`usage key of record ${candidate.index} neither inserted nor found stored`);
      return { ...candidate, id };
    });
    // The aggregates need only the records' ids: sent with the ledger's first statement (Database.transaction).
    await together([
      appendLedger(run, locked, accepted.map((a) => ({
        type: "USAGE" as const,
        amount: a.credits.neg(),
        description: a.description,
        usageRecordId: a.id,
        occurredAt: a.record.occurredAt,
      }))),
      addUsageToAggregates(run, accepted.map((a) => a.id)),
    ]);
    return accepted;
  }, insertEarly).then((accepted) => accepted.map((a) => ({ index: a.index, record: storedUsageRecord(workspace.id, a.record, a.id), credits: a.credits })));

  for (const { index, record } of written) outcomes[index] = { index, idempotencyKey: record.idempotencyKey, status: "ACCEPTED", record };
  for (const { index, key } of repeats) {
    const first = outcomes[candidates.get(key)!.index]!;
    outcomes[index] = first.status === "ACCEPTED" ? duplicate(index, key, first.record.id, workspace.id)
      : first.status === "DUPLICATE" ? duplicate(index, key, first.existingId, workspace.id)
      : { ...first, index };
  }
  const results = outcomes as UsageOutcome[];
  const counts = { accepted: written.length, duplicates: results.filter((r) => r.status === "DUPLICATE").length, rejected: results.filter((r) => r.status === "REJECTED").length };
  if (written.length) ctx.settings.events.publish({ kind: "usage", workspaceId: workspace.id, usageRecordIds: written.map(({ record }) => String(record.id)) });
  ctx.settings.meter.usageRecords("accepted", counts.accepted);
  ctx.settings.meter.usageRecords("duplicate", counts.duplicates);
  ctx.settings.meter.usageRecords("rejected", counts.rejected);
  return {
    workspaceId: workspace.id,
    balance: async () => (ctx.access.has(workspace.id, "read:billing") ? balanceOf(ctx, workspace) : null),
    ...counts,
    results,
    creditsDebited: written.reduce((sum, w) => sum.plus(w.credits), new Decimal(0)),
  };
}

interface Charge {
  credits: Decimal;
  description: string;
  record: NewUsageRecord;
}

/** A batch's first chargeable record of a key. */
type Candidate = Charge & { index: number };

type Priced =
  | { problem: { code: string; message: string; path: string[] }; charge?: never }
  | { problem?: never; charge: Charge };

/** A record's charge and row, or why it cannot be charged (an unknown SKU, a charge too large). */
function priceRecord(ctx: RequestContext, input: ParsedRecord, sku: Sku | undefined, now: Date): Priced {
  if (!sku) return { problem: { code: "UNKNOWN_SKU", message: `Unknown SKU "${input.sku}"`, path: ["sku"] } };
  const units = new Decimal(input.units);
  const price = priceUsage(sku, units, input.currency);
  const tooLarge = chargeProblem(price);
  if (tooLarge) return { problem: { code: "VALIDATION_ERROR", message: tooLarge, path: ["units"] } };
  return { charge: { credits: price.credits, description: `${sku.name}: ${units.toFixed()} ${sku.unit}`, record: newRecord(ctx, input, sku, units, price, now) } };
}

/**
 * Usage records of a workspace by id, for callers that may read billing (none for others): the
 * records a batch's duplicates point at (a key that only writes gets their ids, not what other
 * writers stored under the keys it repeats), those USAGE ledger rows debit, and those a live event names.
 */
export async function usageRecordsIn(ctx: RequestContext, workspaceId: string, ids: readonly bigint[]): Promise<Map<bigint, UsageRecord>> {
  if (!ctx.access.has(workspaceId, "read:billing")) return new Map();
  const rows = await ctx.db.prisma.usageRecord.findMany({ where: { workspaceId, id: { in: [...ids] } } });
  return new Map(rows.map((row) => [row.id, row]));
}

function newRecord(ctx: RequestContext, input: ParsedRecord, sku: Sku, units: Decimal, price: ReturnType<typeof priceUsage>, now: Date): NewUsageRecord {
  return {
    occurredAt: input.occurredAt ?? now,
    skuId: sku.id,
    units,
    ...price,
    currency: input.currency,
    notes: input.notes ?? null,
    requestId: input.requestId ?? null,
    inferenceExecutionTimeMs: input.inferenceExecutionTimeMs ?? null,
    promptTokens: input.promptTokens ?? null,
    completionTokens: input.completionTokens ?? null,
    cacheReadTokens: input.cacheReadTokens ?? null,
    cacheWriteTokens: input.cacheWriteTokens ?? null,
    model: input.model ?? sku.model,
    apiKeyId: ctx.access.apiKeyId,
    externalUserId: input.externalUserId ?? null,
    externalProjectId: input.externalProjectId ?? null,
    resourceKind: input.resourceKind ?? sku.resourceKind,
    resourceId: input.resourceId ?? null,
    idempotencyKey: input.idempotencyKey,
    createdAt: now,
  };
}

export interface UsageFilter {
  from?: Date | null;
  to?: Date | null;
  currency?: (typeof USAGE_CURRENCIES)[number] | null;
  sku?: string | null;
  model?: string | null;
  apiKeyId?: string | null;
  externalUserId?: string | null;
  externalProjectId?: string | null;
}

/** The where-clause of usage listings within one workspace; every text filter checked. */
function usageWhere(workspaceId: string, filter: UsageFilter, names?: { from: string; to: string }): Prisma.UsageRecordWhereInput {
  const text = (value: string | null | undefined, field: string) => checkedName(value, field) ?? undefined;
  const apiKeyId = text(filter.apiKeyId, "apiKeyId");
  return {
    workspaceId,
    occurredAt: rangeFilter(filter.from, filter.to, names),
    currency: filter.currency ?? undefined,
    skuId: text(filter.sku, "sku"),
    model: text(filter.model, "model"),
    // A malformed key id matches no record.
    apiKeyId: apiKeyId === undefined ? undefined : UUID.test(apiKeyId) ? apiKeyId : NO_MATCH,
    externalUserId: text(filter.externalUserId, "externalUserId"),
    externalProjectId: text(filter.externalProjectId, "externalProjectId"),
  };
}

/** The Billing Usage API's pages: 200 rows by default, 1–500. */
export const USAGE_ROWS_PAGE: PageRule = { default: 200, max: 500 };
export const MAX_USAGE_PAGE_NUMBER = 1_000_000;

/** One numbered page of a workspace's usage rows and the total (the Billing Usage API pages by number). */
export async function usageRows(
  ctx: RequestContext,
  target: WorkspaceTarget,
  filter: UsageFilter,
  page: { number?: number | null; size?: number | null; order?: "asc" | "desc" | null },
) {
  const workspace = await workspaceFor(ctx, target, "read:billing");
  const size = pageSize(page.size, USAGE_ROWS_PAGE, "limit");
  const number = pageSize(page.number, { default: 1, max: MAX_USAGE_PAGE_NUMBER }, "page");
  const order = page.order ?? "desc";
  const where = usageWhere(workspace.id, filter, { from: "startDate", to: "endDate" });
  const [rows, total] = await Promise.all([
    ctx.db.prisma.usageRecord.findMany({ where, orderBy: [{ occurredAt: order }, { id: order }], skip: (number - 1) * size, take: size }),
    ctx.db.prisma.usageRecord.count({ where }),
  ]);
  return { workspace, rows, pagination: { page: number, limit: size, total, totalPages: Math.ceil(total / size) } };
}

/** Workspace.usageRecords: metered charges in (occurredAt, id) order, newest first by default. */
export async function usageRecordsConnection(
  ctx: RequestContext,
  target: WorkspaceTarget,
  filter: UsageFilter & { order?: "NEWEST_FIRST" | "OLDEST_FIRST" | null },
  args: ConnectionArgs,
): Promise<Connection<UsageRecord>> {
  const workspace = await workspaceFor(ctx, target, "read:billing");
  const where = usageWhere(workspace.id, filter);
  const descending = filter.order !== "OLDEST_FIRST";
  return keysetConnection(ctx, {
    connection: "Workspace.usageRecords",
    workspaceId: workspace.id,
    ...timeIdKey,
    encode: (row) => timeIdKey.encode(row.occurredAt, row.id),
    read: (range) => ctx.db.prisma.usageRecord.findMany({
      where: { AND: [where, ...timeIdRange("occurredAt", range, descending)] },
      orderBy: timeIdOrder("occurredAt", descending, range.backwards),
      take: range.take,
    }),
    count: () => ctx.db.prisma.usageRecord.count({ where }),
  }, args, GRAPHQL_PAGE);
}


/** The key that recorded a charge: API-key metadata is for admins of the workspace. */
export async function usageRecordApiKey(ctx: RequestContext, record: UsageRecord, selection: Selection = {}): Promise<ApiKey | null> {
  const query = readSelection(selection);
  if (!record.apiKeyId) return null;
  if (!ctx.access.has(record.workspaceId, "admin")) throw new ForbiddenError("admin");
  return ctx.db.prisma.apiKey.findUnique({ ...query, where: { id: record.apiKeyId } }) as Promise<ApiKey | null>;
}
