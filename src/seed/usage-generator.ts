// Generates a workspace's metered usage day by day, with the credit ledger that pays for it:
// purchases when the balance runs low, a promotional grant that expires, a refund and an
// adjustment, and one USAGE debit per usage record. Rows are written in chronological order in
// chunks, so that every ledger row's balanceAfter is the running sum of the rows before it.
import { Prisma, type UsageCurrency } from "../db/generated/client.js";
import { priceUsage } from "../domain/pricing.js";
import type { SqlSession } from "../db/client.js";
import { allocateIds, insertRows, type ColumnSpec } from "../store/bulk-insert.js";
import { LEDGER_COLUMNS as LEDGER_ROW_COLUMNS } from "../store/ledger.js";
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

export async function generateUsage(session: SqlSession, plan: UsagePlan, rng: Random): Promise<UsageSummary> {
  const skuById = new Map(plan.skus.map((sku) => [sku.id, sku]));
  const creditPrice = new Decimal(plan.creditPriceUsd);
  const usageIds = new IdPool(session, "UsageRecord");
  const ledgerIds = new IdPool(session, "CreditTransaction");
  const usageRows: unknown[][] = [];
  const ledgerRows: unknown[][] = [];
  let balance = new Decimal(0);
  let creditsUsed = new Decimal(0);
  let records = 0;
  let ledgerCount = 0;
  let promoLeft = new Decimal(0);
  const users = Array.from({ length: 25 }, (_, i) => `user_${plan.slug}_${String(i + 1).padStart(2, "0")}`);
  const projects = ["web-app", "mobile", "agents", "eval-suite", "support-bot", "data-pipeline"].map((p) => `proj_${p}`);

  const flush = async () => {
    await insertRows(sessionSql(session), "UsageRecord", USAGE_COLUMNS, usageRows.splice(0));
    await insertRows(sessionSql(session), "CreditTransaction", LEDGER_COLUMNS, ledgerRows.splice(0));
  };

  const ledger = async (
    type: string,
    amount: Decimal,
    at: Date,
    description: string,
    extra: { money?: Decimal; usageRecordId?: bigint; key?: string; expiresAt?: Date } = {},
  ) => {
    balance = balance.plus(amount);
    ledgerCount++;
    ledgerRows.push([
      await ledgerIds.next(), plan.workspaceId, type, amount.toFixed(), balance.toFixed(),
      extra.money?.toFixed() ?? null, extra.money ? "USD" : null, description, extra.usageRecordId ?? null, null,
      extra.key ?? null, extra.expiresAt ?? null, at,
    ]);
  };

  const purchase = async (at: Date, n: number) => {
    const credits = new Decimal(plan.topUpCredits);
    await ledger("PURCHASE", credits, at, `Credit pack: ${credits.toFixed()} credits`, {
      money: credits.mul(creditPrice).toDecimalPlaces(2),
      key: `seed-purchase-${n}`,
      expiresAt: new Date(at.getTime() + 365 * DAY_MS),
    });
  };

  const start = plan.start.getTime();
  // Large enough that part of it is still unused when it expires, as welcome credits often are.
  const promo = new Decimal(Math.round(plan.topUpCredits * 2.5));
  const promoExpiry = new Date(start + Math.min(30, plan.days) * DAY_MS - 1000);
  let purchases = 0;
  await ledger("GRANT", promo, new Date(start), "Welcome credits (expire after 30 days)", {
    key: "seed-grant-welcome",
    expiresAt: promoExpiry,
  });
  promoLeft = promo;
  await purchase(new Date(start + 1000), ++purchases);

  const dailyCounts = spread(plan.records, plan.days, rng);
  for (let day = 0; day < plan.days; day++) {
    const dayStart = start + day * DAY_MS;
    const count = dailyCounts[day]!;
    const events = makeDayEvents(rng, count, dayStart, plan, users, projects);
    for (const event of events) {
      if (promoLeft.gt(0) && event.at.getTime() > promoExpiry.getTime()) {
        const expired = Decimal.min(promoLeft, balance);
        await ledger("EXPIRATION", expired.neg(), promoExpiry, "Unused welcome credits expired", { key: "seed-grant-welcome-expiry" });
        promoLeft = new Decimal(0);
      }
      const sku = skuById.get(event.skuId)!;
      const units = new Decimal(event.units);
      const { credits, costUsd, amount } = priceUsage(sku, units, event.currency as UsageCurrency);
      if (balance.minus(credits).lt(plan.topUpCredits / 10)) await purchase(new Date(event.at.getTime() - 1), ++purchases);
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
      promoLeft = Decimal.max(0, promoLeft.minus(credits));
      await ledger("USAGE", credits.neg(), event.at, `${sku.name}: ${units.toFixed()} ${sku.unit}`, { usageRecordId: id });
      if (usageRows.length >= CHUNK) await flush();
    }
    if (day === Math.floor(plan.days / 2)) {
      await ledger("REFUND", new Decimal(500), new Date(dayStart + DAY_MS - 2000), "Refund: failed sandbox runs", { key: "seed-refund-1" });
    }
    if (day === Math.floor((plan.days * 2) / 3)) {
      await ledger("ADJUSTMENT", new Decimal(250), new Date(dayStart + DAY_MS - 1000), "Goodwill adjustment", { key: "seed-adjustment-1" });
    }
  }
  await flush();
  await session.query(`UPDATE "Workspace" SET "creditBalance" = $2::numeric WHERE id = $1::uuid`, [plan.workspaceId, balance.toFixed()]);
  return { records, ledgerRows: ledgerCount, creditsUsed: creditsUsed.toFixed(), balance: balance.toFixed() };
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
