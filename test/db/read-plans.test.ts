// How reads are planned (Database.query's `plan`) and which reads ask for which plan: the
// dashboard's lookups and pages and a rollup from the aggregates keep one generic plan per text
// (at most 100 texts); an hourly rollup (raw rows of a whole window), a ledger page of a window and
// an executions page of one workflow are planned for their values each time; others are prepared
// and left to PostgreSQL.
import { describe, expect } from "vitest";
import type { Database, ReadPlan } from "../../src/db/client.js";
import { executionBilling, executionsConnection } from "../../src/domain/executions.js";
import { creditBalance, creditTransactionsConnection } from "../../src/domain/ledger.js";
import { findWorkspace } from "../../src/domain/workspaces.js";
import { usageRollup } from "../../src/domain/usage-rollup.js";
import { usingPostgres } from "../helpers/database.js";
import { gatewayTest } from "../helpers/fixtures.js";
import { operatorAt } from "../helpers/gateway.js";

const NOW = new Date("2026-11-22T09:00:00Z");
const test = gatewayTest({ now: NOW, demo: { days: 20, usageRecords: 400 } });

/** The database with every read's text and plan noted. */
function noting(db: Database) {
  const reads: { text: string; plan: ReadPlan | undefined }[] = [];
  const noted: Database = { ...db, query: (text, params, options) => (reads.push({ text, plan: options?.plan }), db.query(text, params, options)) };
  return { noted, planOf: (table: string) => reads.filter((read) => read.text.includes(`"${table}"`)).map((read) => read.plan) };
}

describe.runIf(usingPostgres)("Database.query on PostgreSQL", () => {
  test("runs generic reads where each text is planned once for any values, the others where PostgreSQL chooses", async ({ db }) => {
    const mode = async (plan?: ReadPlan) => (await db.query(`SELECT current_setting('plan_cache_mode') AS mode`, [], { plan }))[0]!.mode;
    expect(await mode("generic")).toBe("force_generic_plan");
    expect(await mode()).toBe("auto");
    expect(await mode("custom")).toBe("auto");
  });

  test("prepares generic and default reads on their connection, and custom ones not at all", async ({ db }) => {
    // Each statement looks for itself among its session's prepared statements.
    const prepared = async (plan: ReadPlan | "default") =>
      (await db.query(`/* probe-${plan} */ SELECT count(*)::int AS n FROM pg_prepared_statements WHERE statement LIKE '%probe-${plan} */%'`, [], { plan: plan === "default" ? undefined : plan }))[0]!.n;
    expect(await prepared("default")).toBe(1);
    expect(await prepared("generic")).toBe(1);
    expect(await prepared("custom")).toBe(0);
  });

  test("plans generic reads past the bound of 100 texts for their values, unprepared", async ({ db }) => {
    for (let i = 0; i < 100; i++) await db.query(`SELECT ${i} AS n`, [], { plan: "generic" });
    const [row] = await db.query(`/* probe-past */ SELECT current_setting('plan_cache_mode') AS mode,
      (SELECT count(*)::int FROM pg_prepared_statements WHERE statement LIKE '%probe-past */%') AS n`, [], { plan: "generic" });
    expect(row).toEqual({ mode: "auto", n: 0 });
  });
});

describe("the reads' plans", () => {
  test("a rollup from the aggregates is generic; an hourly one, read from raw rows, custom", async ({ db, clock, acmeProd }) => {
    const { noted, planOf } = noting(db);
    const ctx = await operatorAt(noted, clock);
    const daily = await usageRollup(ctx, { id: acmeProd.workspaceId }, { period: "LAST_7_DAYS", groupBy: ["MODEL"] });
    expect(daily.usedDailyRollup).toBe(true);
    expect(planOf("UsageDailyTotal")).toEqual(["generic"]);
    const hourly = await usageRollup(ctx, { id: acmeProd.workspaceId }, { period: "LAST_7_DAYS", granularity: "HOUR" });
    expect(hourly.usedDailyRollup).toBe(false);
    expect(hourly.rows.length).toBeGreaterThan(0);
    expect(planOf("UsageRecord").at(-1)).toBe("custom");
  });

  test("a ledger page of a window is custom; one of the whole ledger generic", async ({ db, clock, acmeProd }) => {
    const { noted, planOf } = noting(db);
    const ctx = await operatorAt(noted, clock);
    const windowed = await creditTransactionsConnection(ctx, { id: acmeProd.workspaceId }, { from: new Date(NOW.getTime() - 3 * 86_400_000), to: NOW }, { first: 5 });
    expect(windowed.edges.length).toBe(5);
    expect(planOf("CreditTransaction")).toEqual(["custom"]);
    await creditTransactionsConnection(ctx, { id: acmeProd.workspaceId }, {}, { first: 5 });
    expect(planOf("CreditTransaction")).toEqual(["custom", "generic"]);
  });

  test("the workspace, its balance, execution pages and their billing are generic; a page of one workflow custom", async ({ db, clock, acmeProd }) => {
    const { noted, planOf } = noting(db);
    const ctx = await operatorAt(noted, clock);
    await creditBalance(ctx, { id: acmeProd.workspaceId });
    expect(planOf("CreditLot")).toEqual(["generic"]);
    const page = await executionsConnection(ctx, { id: acmeProd.workspaceId }, {}, { first: 3 });
    expect(page.edges.length).toBe(3);
    await executionsConnection(ctx, { id: acmeProd.workspaceId }, { workflowId: page.edges[0]!.node.workflowId }, { first: 3 });
    expect(planOf("Execution")).toEqual(["generic", "custom"]);
    await executionBilling(ctx, page.edges.map((edge) => edge.node));
    expect(planOf("Execution").at(-1)).toBe("generic");
    await findWorkspace(ctx, { slug: "acme-prod" });
    expect(planOf("Workspace").at(-1)).toBe("generic");
  });
});
