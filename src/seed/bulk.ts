// Large data sets for benchmarks: `seed --workspaces W --days D --events N` adds W workspaces to
// the "bulk" organization with N usage records spread over the last D days, and their ledger.
import crypto from "node:crypto";
import type { Database } from "../db/client.js";
import { rebuildAggregates } from "../store/aggregates.js";
import { insertPriceList, PRICE_LIST } from "./price-list.js";
import { sessionSql } from "./session-sql.js";
import { Random } from "./random.js";
import { generateUsage, type UsageSummary } from "./usage-generator.js";

const DAY_MS = 86_400_000;

export interface BulkOptions {
  workspaces: number;
  days: number;
  events: number;
  /** End of the generated period (the caller's clock). */
  now: Date;
  seed?: number;
}

export async function seedBulk(
  db: Database,
  options: BulkOptions,
  onProgress: (message: string) => void = () => {},
): Promise<{ slug: string; id: string; usage: UsageSummary }[]> {
  const now = options.now;
  const start = new Date(now.getTime() - options.days * DAY_MS);
  const rng = new Random(options.seed ?? 7);
  return db.withSession(async (session) => {
    await insertPriceList(session);
    const [org] = await session.query<{ id: string }>(
      `INSERT INTO "Organization" (id, slug, name) VALUES ($1, 'bulk', 'Bulk data')
       ON CONFLICT (slug) DO UPDATE SET name = EXCLUDED.name RETURNING id`,
      [crypto.randomUUID()],
    );
    const [{ n }] = (await session.query<{ n: number }>(
      `SELECT COUNT(*)::int AS n FROM "Workspace" WHERE "organizationId" = $1`,
      [org!.id],
    )) as [{ n: number }];
    const results = [];
    for (let i = 1; i <= options.workspaces; i++) {
      const slug = `bulk-${n + i}`;
      const id = crypto.randomUUID();
      await session.query(
        `INSERT INTO "Workspace" (id, "organizationId", slug, name, "monthlyLimitUsd") VALUES ($1, $2, $3, $4, 1000)`,
        [id, org!.id, slug, `Bulk workspace ${n + i}`],
      );
      // Workspaces share the events; the first ones take the remainder.
      const records = Math.floor(options.events / options.workspaces) + (i <= options.events % options.workspaces ? 1 : 0);
      const usage = await generateUsage(
        session,
        {
          workspaceId: id,
          slug,
          creditPriceUsd: "0.01",
          apiKeyIds: [],
          start,
          days: options.days,
          records,
          // About a month of usage per top-up (an average record costs a few credits).
          topUpCredits: Math.max(20_000, Math.round((records / options.days) * 30 * 4)),
          skus: PRICE_LIST,
        },
        rng,
      );
      onProgress(`${slug}: ${usage.records} usage records, ${usage.ledgerRows} ledger rows`);
      await session.exec("BEGIN");
      await rebuildAggregates(sessionSql(session), id);
      await session.exec("COMMIT");
      results.push({ slug, id, usage });
    }
    // Fresh statistics: without them the planner guesses a handful of rows for millions.
    await session.exec(`ANALYZE "UsageRecord", "CreditTransaction", "UsageDailyRollup", "UsageDailyTotal", "UsageDailyByDimension", "UsageMonthlyTotal", "UsageMonthlyByDimension", "UsageHourlyTotal", "UsageHourlyByDimension"`);
    return results;
  });
}
