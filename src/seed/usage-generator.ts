// Generates a workspace's metered usage day by day, with the credit ledger and lots that pay for it:
// a welcome grant drawn first that expires partly unused, a starter pack drawn next and top-ups when
// the balance runs low, a refund of bought credits and a goodwill adjustment, and one USAGE debit per
// usage record. Rows are written in chronological order in chunks, so that every ledger row's
// balanceAfter is the running sum of the rows before it.
import { Prisma, type UsageCurrency } from "../db/generated/client.js";
import { priceUsage } from "../domain/pricing.js";
import type { SqlSession } from "../db/client.js";
import { allocateIds, insertRows, type ColumnSpec } from "../store/bulk-insert.js";
import { insertLots, updateLotRemainders } from "../store/credit-lots.js";
import { LEDGER_COLUMNS as LEDGER_ROW_COLUMNS } from "../store/ledger.js";
import { expirationKey, LotBook, LOT_PRIORITY, newLotRow, type LotEntry, type OpenLot, type PlannedLot } from "../domain/credit-lots.js";
import { USAGE_RECORD_COLUMNS } from "../store/usage-records.js";
import { sessionSql } from "./session-sql.js";
import { LLM_MODELS, type SkuSeed } from "./price-list.js";
import type { Random } from "./random.js";

const Decimal = Prisma.Decimal;
type Decimal = Prisma.Decimal;

const DAY_MS = 86_400_000;
const CHUNK = 5_000;

export interface UsagePlan {
  workspaceId: string;
  slug: string;
  creditPriceUsd: string;
  apiKeyIds: string[];
  start: Date;
  days: number;
  /** Usage records over the whole period, exactly. */
  records: number;
  /** Credits bought at each top-up, and the balance that triggers one. */
  topUpCredits: number;
  skus: SkuSeed[];
}

/** Seeds write ids they reserved, and rows of many workspaces: the stores' columns after those two. */
const OWNED: ColumnSpec[] = [{ name: "id", type: "int8" }, { name: "workspaceId", type: "uuid" }];
const USAGE_COLUMNS = [...OWNED, ...USAGE_RECORD_COLUMNS];
const LEDGER_COLUMNS = [...OWNED, ...LEDGER_ROW_COLUMNS];

/** Ids handed out from blocks reserved on the table's own sequence. */
class IdPool {
  private ids: bigint[] = [];
  constructor(
    private session: SqlSession,
    private table: string,
  ) {}
  async next(): Promise<bigint> {
    if (this.ids.length === 0) this.ids = await allocateIds(sessionSql(this.session), this.table, CHUNK);
    return this.ids.shift()!;
  }
}

export interface UsageSummary {
  records: number;
  ledgerRows: number;
  creditsUsed: string;
  balance: string;
}

/** A ledger row of the seed: what the lots need, and the row's own columns. */
type SeedEntry = LotEntry & { description: string; money?: Decimal; usageRecordId?: bigint; key?: string };

const ALLOCATION_COLUMNS: ColumnSpec[] = [
  { name: "workspaceId", type: "uuid" }, { name: "transactionId", type: "int8" }, { name: "lotId", type: "int8" },
  { name: "credits", type: "numeric" }, { name: "costUsd", type: "numeric" },
];

/**
 * The credit ledger of one workspace, kept in memory the way the gateway keeps it: the domain's
 * LotBook draws every debit down and posts expirations as time passes; rows go out in chunks.
 */
class SeedLedger {
  balance = new Decimal(0);
  rows = 0;
  private book = new LotBook([]);
  private ledgerIds: IdPool;
  private lotIds: IdPool;
  private ledgerRows: unknown[][] = [];
  private allocationRows: unknown[][] = [];
  private newLots: (PlannedLot & { transactionId: bigint })[] = [];
  /** Every lot ever made, with its state as the book leaves it. */
  private lots = new Map<bigint, OpenLot & { expirationTransactionId?: bigint }>();

  constructor(
    private session: SqlSession,
    private workspaceId: string,
  ) {
    this.ledgerIds = new IdPool(session, "CreditTransaction");
    this.lotIds = new IdPool(session, "CreditLot");
  }

  get pending() {
    return this.ledgerRows.length;
  }

  /** Posts the expirations due by `at`, as the gateway does before every write. */
  async expireDue(at: Date): Promise<void> {
    for (const lot of this.book.due(at)) {
      await this.append({
        type: "EXPIRATION", amount: lot.remainingCredits.neg(), occurredAt: lot.expiresAt!, expiresLot: lot.id,
        description: `Unused credits of lot ${lot.id} expired`, key: expirationKey(lot.id),
      });
    }
  }

  /** Posts the expirations due by the entry's time, then the entry; returns its id and cost. */
  async post(entry: SeedEntry): Promise<{ id: bigint; costUsd: Decimal }> {
    await this.expireDue(entry.occurredAt);
    return this.append(entry);
  }

  private async append(entry: SeedEntry): Promise<{ id: bigint; costUsd: Decimal }> {
    const id = await this.ledgerIds.next();
    const plan = this.book.plan([entry], entry.amount.isPositive() ? [await this.lotIds.next()] : [], []);
    const costUsd = plan.costs[0]!;
    this.balance = this.balance.plus(entry.amount);
    this.rows++;
    this.ledgerRows.push([
      id, this.workspaceId, entry.type, entry.amount.toFixed(), this.balance.toFixed(),
      entry.money?.toFixed() ?? null, entry.money ? "USD" : null, entry.description, entry.usageRecordId ?? null, null,
      entry.key ?? null, entry.expiresAt ?? null, entry.occurredAt, costUsd.toFixed(), plan.draws[0],
    ]);
    for (const lot of plan.newLots) {
      const stored = Object.assign(lot, { transactionId: id });
      this.newLots.push(stored);
      this.lots.set(lot.id, stored);
    }
    for (const lot of plan.touched) if (lot.expiredBy !== undefined) this.lots.set(lot.id, Object.assign(lot, { expirationTransactionId: id }));
    for (const a of plan.allocations) this.allocationRows.push([this.workspaceId, id, a.lotId, a.credits.toFixed(), a.costUsd.toFixed()]);
    return { id, costUsd };
  }

  /** Writes the rows so far: ledger rows, then the lots they made, then the allocations. */
  async flush(): Promise<void> {
    const run = sessionSql(this.session);
    await insertRows(run, "CreditTransaction", LEDGER_COLUMNS, this.ledgerRows.splice(0));
    await insertLots(run, this.workspaceId, this.newLots.splice(0).map((lot) => newLotRow(lot, lot.transactionId)));
    await insertRows(run, "CreditAllocation", ALLOCATION_COLUMNS, this.allocationRows.splice(0));
  }

  /** Flushes, then leaves every lot holding what the book says (lots were written as made). */
  async finish(): Promise<void> {
    await this.flush();
    const run = sessionSql(this.session);
    await updateLotRemainders(run, [...this.lots.values()].map((lot) => ({
      id: lot.id, remainingCredits: lot.remainingCredits.toFixed(), remainingCostUsd: lot.remainingCostUsd.toFixed(),
      expirationTransactionId: lot.expirationTransactionId ?? null, firstDrawnAt: lot.firstDrawnAt, lastDrawnAt: lot.lastDrawnAt,
    })));
    await this.session.query(`UPDATE "Workspace" SET "creditBalance" = $2::numeric WHERE id = $1::uuid`, [this.workspaceId, this.balance.toFixed()]);
  }
}

export async function generateUsage(session: SqlSession, plan: UsagePlan, rng: Random): Promise<UsageSummary> {
  const skuById = new Map(plan.skus.map((sku) => [sku.id, sku]));
  const creditPrice = new Decimal(plan.creditPriceUsd);
  const usageIds = new IdPool(session, "UsageRecord");
  const ledger = new SeedLedger(session, plan.workspaceId);
  const usageRows: unknown[][] = [];
  let creditsUsed = new Decimal(0);
  let records = 0;
  const users = Array.from({ length: 25 }, (_, i) => `user_${plan.slug}_${String(i + 1).padStart(2, "0")}`);
  const projects = ["web-app", "mobile", "agents", "eval-suite", "support-bot", "data-pipeline"].map((p) => `proj_${p}`);

  const flush = async () => {
    await insertRows(sessionSql(session), "UsageRecord", USAGE_COLUMNS, usageRows.splice(0));
    await ledger.flush();
  };

  let purchases = 0;
  const purchase = (at: Date, credits: Decimal, priority: number, description: string) => {
    const money = credits.mul(creditPrice).toDecimalPlaces(2);
    return ledger.post({
      type: "PURCHASE", amount: credits, occurredAt: at, description, money, key: `seed-purchase-${++purchases}`,
      expiresAt: new Date(at.getTime() + 365 * DAY_MS), lot: { source: "PURCHASE", priority, costUsd: money },
    });
  };
  const free = (type: "GRANT" | "ADJUSTMENT", credits: Decimal, at: Date, description: string, key: string, extra: { expiresAt?: Date; priority?: number } = {}) =>
    ledger.post({
      type, amount: credits, occurredAt: at, description, key, expiresAt: extra.expiresAt,
      lot: { source: type, priority: extra.priority ?? LOT_PRIORITY.default, costUsd: new Decimal(0) },
    });

  const start = plan.start.getTime();
  // Large enough that part of it is still unused when it expires, as welcome credits often are.
  const promo = new Decimal(Math.round(plan.topUpCredits * 2.5));
  // Drawn first (priority 10), as free credits usually are, and still partly unused when they expire.
  await free("GRANT", promo, new Date(start), "Welcome credits (expire after 30 days)", "seed-grant-welcome", {
    expiresAt: new Date(start + Math.min(30, plan.days) * DAY_MS - 1000),
    priority: 10,
  });
  // A starter pack at priority 20 pays before the top-ups at the default 50.
  await purchase(new Date(start + 1000), new Decimal(plan.topUpCredits / 2), 20, `Starter pack: ${plan.topUpCredits / 2} credits`);

  /** The biggest sandbox debit of the day: what the refund returns. */
  let refundable: { id: bigint; credits: Decimal; costUsd: Decimal } | null = null;
  const dailyCounts = spread(plan.records, plan.days, rng);
  for (let day = 0; day < plan.days; day++) {
    const dayStart = start + day * DAY_MS;
    const count = dailyCounts[day]!;
    const events = makeDayEvents(rng, count, dayStart, plan, users, projects);
    refundable = null;
    for (const event of events) {
      const sku = skuById.get(event.skuId)!;
      const units = new Decimal(event.units);
      const { credits, costUsd, amount } = priceUsage(sku, units, event.currency as UsageCurrency);
      await ledger.expireDue(event.at);
      if (ledger.balance.minus(credits).lt(plan.topUpCredits / 10)) {
        const topUp = new Decimal(plan.topUpCredits);
        await purchase(new Date(event.at.getTime() - 1), topUp, LOT_PRIORITY.default, `Credit pack: ${topUp.toFixed()} credits`);
      }
      const id = await usageIds.next();
      const key = `seed-${plan.slug}-${id}`;
      usageRows.push([
        id, plan.workspaceId, event.at, sku.id, units.toFixed(), sku.listPriceUsd,
        amount.toFixed(), event.currency, costUsd.toFixed(), credits.toFixed(),
        event.notes, event.requestId, event.executionTimeMs, event.promptTokens, event.completionTokens,
        event.cacheReadTokens, event.cacheWriteTokens, sku.model, event.apiKeyId, event.externalUserId,
        event.externalProjectId, sku.resourceKind, event.resourceId, key, event.at,
      ]);
      records++;
      creditsUsed = creditsUsed.plus(credits);
      const debit = await ledger.post({ type: "USAGE", amount: credits.neg(), occurredAt: event.at, description: `${sku.name}: ${units.toFixed()} ${sku.unit}`, usageRecordId: id });
      if (sku.resourceKind === "SANDBOX" && (!refundable || credits.gt(refundable.credits))) refundable = { credits, ...debit };
      if (usageRows.length >= CHUNK) await flush();
    }
    if (day === Math.floor(plan.days / 2) && refundable) {
      // A failed sandbox run refunded in full: bought credits come back with their cost.
      const at = new Date(dayStart + DAY_MS - 2000);
      await ledger.post({
        type: "REFUND", amount: refundable.credits, occurredAt: at, description: "Refund: failed sandbox run", key: "seed-refund-1",
        lot: { source: "REFUND", priority: LOT_PRIORITY.default, costUsd: refundable.costUsd, refundOf: refundable.id },
      });
    }
    if (day === Math.floor((plan.days * 2) / 3)) {
      await free("ADJUSTMENT", new Decimal(250), new Date(dayStart + DAY_MS - 1000), "Goodwill adjustment", "seed-adjustment-1");
    }
  }
  await flush();
  await ledger.finish();
  return { records, ledgerRows: ledger.rows, creditsUsed: creditsUsed.toFixed(), balance: ledger.balance.toFixed() };
}

/** `total` split over `parts` days with ±20% jitter; the counts add up to `total` exactly. */
function spread(total: number, parts: number, rng: Random): number[] {
  const weights = Array.from({ length: parts }, () => 0.8 + rng.next() * 0.4);
  const sum = weights.reduce((a, b) => a + b, 0);
  let cumulative = 0;
  return weights.map((weight) => {
    const before = Math.floor((total * cumulative) / sum);
    cumulative += weight;
    return Math.floor((total * cumulative) / sum) - before;
  });
}

interface UsageEvent {
  at: Date;
  skuId: string;
  units: string;
  currency: string;
  notes: string | null;
  requestId: string | null;
  executionTimeMs: number | null;
  promptTokens: number | null;
  completionTokens: number | null;
  cacheReadTokens: number | null;
  cacheWriteTokens: number | null;
  apiKeyId: string | null;
  externalUserId: string | null;
  externalProjectId: string | null;
  resourceId: string | null;
}

/** `count` usage records of one day, in time order; an LLM call yields an input and an output record. */
function makeDayEvents(
  rng: Random,
  count: number,
  dayStart: number,
  plan: UsagePlan,
  users: string[],
  projects: string[],
): UsageEvent[] {
  const events: UsageEvent[] = [];
  while (events.length < count) {
    // Busier in working hours: two uniform draws lean towards mid-day.
    const at = new Date(dayStart + Math.floor(((rng.next() + rng.next()) / 2) * DAY_MS));
    const base = {
      at,
      currency: rng.weighted([["USD", 75], ["DIEM", 10], ["VCU", 8], ["BUNDLED_CREDITS", 7]] as const),
      notes: null as string | null,
      requestId: null as string | null,
      executionTimeMs: null as number | null,
      promptTokens: null as number | null,
      completionTokens: null as number | null,
      cacheReadTokens: null as number | null,
      cacheWriteTokens: null as number | null,
      apiKeyId: plan.apiKeyIds.length ? rng.pick(plan.apiKeyIds) : null,
      externalUserId: rng.next() < 0.9 ? rng.pick(users) : null,
      externalProjectId: rng.next() < 0.85 ? rng.pick(projects) : null,
      resourceId: null as string | null,
    };
    const drawn = rng.weighted([["llm", 60], ["sandbox", 14], ["computer", 7], ["storage", 8], ["image", 5], ["embed", 6]] as const);
    // An LLM call yields two records; with one left to make, a sandbox run keeps the count exact.
    const kind = drawn === "llm" && count - events.length === 1 ? "sandbox" : drawn;
    if (kind === "llm") {
      const model = rng.pick(LLM_MODELS);
      const prompt = rng.int(200, 24_000);
      const completion = rng.int(40, 4_000);
      const cacheRead = rng.next() < 0.4 ? rng.int(0, prompt) : 0;
      const cacheWrite = rng.next() < 0.2 ? rng.int(0, 2_000) : 0;
      const details = {
        requestId: `req_${rng.hex(24)}`,
        executionTimeMs: rng.int(150, 30_000),
        promptTokens: prompt,
        completionTokens: completion,
        cacheReadTokens: cacheRead,
        cacheWriteTokens: cacheWrite,
      };
      events.push({ ...base, ...details, skuId: `llm-${model}-input`, units: (prompt / 1000).toFixed(3) });
      events.push({ ...base, ...details, skuId: `llm-${model}-output`, units: (completion / 1000).toFixed(3) });
    } else if (kind === "sandbox") {
      const gpu = rng.next() < 0.1;
      events.push({
        ...base,
        skuId: gpu ? "sandbox-gpu-seconds" : "sandbox-vcpu-seconds",
        units: String(rng.int(30, gpu ? 900 : 7_200)),
        resourceId: `sbx_${rng.hex(12)}`,
        notes: gpu ? "GPU sandbox" : null,
      });
    } else if (kind === "computer") {
      events.push({ ...base, skuId: "computer-vcpu-seconds", units: String(rng.int(60, 14_400)), resourceId: `cmp_${rng.hex(12)}` });
    } else if (kind === "storage") {
      events.push({ ...base, skuId: "storage-gb-hours", units: (rng.int(5, 500) / 10).toFixed(1), resourceId: `vol_${rng.hex(12)}` });
    } else if (kind === "image") {
      events.push({
        ...base,
        skuId: rng.next() < 0.7 ? "image-sdxl-1024" : "image-flux-pro",
        units: String(rng.int(1, 4)),
        requestId: `req_${rng.hex(24)}`,
        executionTimeMs: rng.int(2_000, 20_000),
      });
    } else {
      const tokens = rng.int(500, 60_000);
      events.push({
        ...base,
        skuId: "embed-text-3-small",
        units: (tokens / 1000).toFixed(3),
        requestId: `req_${rng.hex(24)}`,
        executionTimeMs: rng.int(20, 900),
        promptTokens: tokens,
      });
    }
  }
  return events.sort((a, b) => a.at.getTime() - b.at.getTime());
}
