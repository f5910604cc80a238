// Dashboard reads over the demo data: paging whole connections both ways, rollups against totals
// computed from the raw rows (also across a DST change), execution billing, statement counts,
// query limits and tenancy of rollups.
import { describe, expect } from "vitest";
import { graphql } from "../gql/index.js";
import { gatewayTest } from "../helpers/fixtures.js";
import { bearer, operatorAt, operatorKey } from "../helpers/gateway.js";
import { usageRollup } from "../../src/domain/usage-rollup.js";
import { parse } from "graphql";
import type { ResultOf } from "@graphql-typed-document-node/core";
import type { Database } from "../../src/db/client.js";
import { Prisma } from "../../src/db/generated/client.js";

const raw = <T>(db: Database, sql: string, ...params: unknown[]) => db.prisma.$queryRawUnsafe<T[]>(sql, ...params);

const NOW = new Date("2026-11-22T09:00:00Z");
const NOV_1_NEW_YORK = "2026-11-01T04:00:00.000Z"; // EDT, the day DST ends
const OCT_1_NEW_YORK = "2026-10-01T04:00:00.000Z";

const LedgerPage = graphql(`
  query DashLedgerPage($first: Int, $after: String, $last: Int, $before: String) {
    workspace {
      creditTransactions(first: $first, after: $after, last: $last, before: $before) {
        totalCount
        pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
        edges { cursor node { id } }
      }
    }
  }
`);
type LedgerConnection = NonNullable<ResultOf<typeof LedgerPage>["workspace"]>["creditTransactions"];

const Rollup = graphql(`
  query DashRollup($from: DateTime, $to: DateTime, $period: Period, $granularity: Granularity, $groupBy: [RollupDimension!], $timeZone: String) {
    workspace {
      usageRollup(from: $from, to: $to, period: $period, granularity: $granularity, groupBy: $groupBy, timeZone: $timeZone) {
        source usedDailyRollup timeZone from to
        rows { bucketStart group { model workflowId } costUsd credits eventCount quantity }
        totals { costUsd credits eventCount }
      }
    }
  }
`);
const GroupedRollup = graphql(`
  query DashGroupedRollup($from: DateTime, $to: DateTime, $granularity: Granularity, $groupBy: [RollupDimension!], $timeZone: String) {
    workspace {
      usageRollup(from: $from, to: $to, granularity: $granularity, groupBy: $groupBy, timeZone: $timeZone) {
        usedDailyRollup
        rows { bucketStart group { model sku apiKeyId externalUserId externalProjectId currency } costUsd credits eventCount quantity promptTokens }
      }
    }
  }
`);
const Executions = graphql(`
  query DashExecutions($from: DateTime, $first: Int) {
    workspace { executions(from: $from, first: $first, order: OLDEST_FIRST) { totalCount edges { node { costUsd billingType monthToDateUsd onDemandCostUsd } } } }
  }
`);
const Spend = graphql(`
  query DashSpending { workspace { spending { from monthlyLimitUsd costUsd includedCostUsd onDemandCostUsd executionCount } } }
`);
const Dashboard = graphql(`
  query DashDashboard($n: Int!) {
    viewer { kind workspaces { slug } }
    workspace {
      name
      creditBalance { credits usdValue }
      creditTransactions(first: $n) { totalCount edges { node { type amount balanceAfter occurredAt } } }
      executions(first: $n) { totalCount edges { node { startedAt costUsd billingType workflow { name } } } }
      usageRollup(period: LAST_30_DAYS, groupBy: [MODEL]) { rows { group { model } costUsd } }
    }
  }
`);
const CostRollup = graphql(`
  query DashCostRollup($from: DateTime, $to: DateTime, $timeZone: String) {
    workspace {
      usageRollup(from: $from, to: $to, granularity: MONTH, groupBy: [MODEL], timeZone: $timeZone) {
        rows { bucketStart group { model } costUsd }
        totals { ...DashRollupTokens }
      }
    }
  }
  fragment DashRollupTokens on UsageRollupMetrics { totalTokens }
`);
const SetLimit = graphql(`mutation DashLimit($limit: Decimal!) { setUsageLimit(monthlyLimitUsd: $limit) { __typename } }`);
const Activity = graphql(`
  query DashActivity($start: String!, $end: String!, $granularity: ActivityGranularity) {
    workspace { activityMetrics(startDate: $start, endDate: $end, granularity: $granularity) {
      data { period metrics { linesAdded totalLines events users userPrompts tokens { total input output cacheWrite cacheInput } } }
      summary { totalLinesGenerated totalLinesAccepted users totalUserPrompts }
    } }
  }
`);
const OrgActivity = graphql(`
  query DashOrgActivity($start: String!, $end: String!) {
    organization { slug activityMetrics(startDate: $start, endDate: $end, granularity: MONTH) {
      data { period metrics { totalLines spaces { spaceName totalLines } } }
      summary { totalLinesGenerated }
    } }
  }
`);
const Filtered = graphql(`
  query DashFiltered($model: String, $trigger: String, $after: String) {
    workspace {
      id
      usageRecords(model: $model, first: 5, after: $after) { totalCount edges { cursor node { model workspaceKey: idempotencyKey } } }
      executions(trigger: $trigger, first: 5) { totalCount edges { node { trigger } } }
    }
  }
`);

const OtherWorkspaceRollup = graphql(`
  query DashOtherRollup { workspace(slug: "acme-prod") { usageRollup(period: LAST_7_DAYS) { totals { costUsd } } } }
`);

// The clock stands at NOW, where the demo ends, so presets cover demo data on whatever date the suite runs.
const test = gatewayTest({ now: NOW, demo: { days: 62, usageRecords: 4_000 } }).extend("keys", { scope: "file" }, async ({ db, demo, clock }) => {
  const globex = demo.workspaces.find((w) => w.slug === "globex-main")!.id;
  const org = await db.prisma.organization.findUniqueOrThrow({ where: { slug: "acme" } });
  return {
    acme: demo.demoApiKey,
    acmeId: demo.workspaces.find((w) => w.slug === "acme-prod")!.id,
    globex: await operatorKey(db, { name: "g", scopes: ["read:billing"], workspaceId: globex }, clock),
    acmeOrg: await operatorKey(db, { name: "o", scopes: ["read:billing"], organizationId: org.id }, clock),
  };
});

describe("dashboard reads", () => {
  test("pages through a whole connection forwards and backwards without gaps or repeats", async ({ gateway, db, keys }) => {
    const forward: string[] = [];
    let after: string | null = null;
    let total = 0;
    for (;;) {
      const page: LedgerConnection = (await gateway.graphql(LedgerPage, { first: 97, after }, bearer(keys.acme))).data!.workspace!.creditTransactions!;
      total = page.totalCount;
      forward.push(...page.edges.map((e) => e.node.id));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor!;
    }
    const backward: string[] = [];
    let before: string | null = null;
    for (;;) {
      const page: LedgerConnection = (await gateway.graphql(LedgerPage, { last: 97, before }, bearer(keys.acme))).data!.workspace!.creditTransactions!;
      backward.unshift(...page.edges.map((e) => e.node.id));
      if (!page.pageInfo.hasPreviousPage) break;
      before = page.pageInfo.startCursor!;
    }
    const ledgerIds = await raw<{ id: bigint }>(db, `SELECT id FROM "CreditTransaction" WHERE "workspaceId" = $1::uuid ORDER BY id DESC`, keys.acmeId);
    expect(forward).toHaveLength(total);
    expect(new Set(forward).size).toBe(total);
    expect(total).toBe(ledgerIds.length);
    expect(backward).toEqual(forward);
    const decoded = forward.map((id) => Buffer.from(id, "base64").toString().split(":")[1]);
    expect(decoded).toEqual(ledgerIds.map((r) => r.id.toString()));
  });

  test("filters usage records and executions, and scopes cursors to the caller's workspace", async ({ gateway, db, keys }) => {
    const response = await gateway.graphql(Filtered, { model: "gpt-4o", trigger: "webhook" }, bearer(keys.acme));
    const ws = response.data!.workspace!;
    const [counts] = await raw<{ usage: number; executions: number }>(db,
      `SELECT (SELECT COUNT(*)::int FROM "UsageRecord" WHERE "workspaceId" = $1::uuid AND model = 'gpt-4o') AS usage,
              (SELECT COUNT(*)::int FROM "Execution" WHERE "workspaceId" = $1::uuid AND trigger = 'webhook') AS executions`,
      keys.acmeId,
    );
    expect([ws.usageRecords!.totalCount, ws.executions!.totalCount]).toEqual([counts!.usage, counts!.executions]);
    expect(ws.usageRecords!.edges.every((e) => e.node.model === "gpt-4o")).toBe(true);
    expect(ws.executions!.edges.every((e) => e.node.trigger === "webhook")).toBe(true);
    const foreign = await gateway.graphql(Filtered, { after: ws.usageRecords!.edges[0]!.cursor }, bearer(keys.globex));
    // Another tenant replaying acme's cursor is refused: a cursor belongs to its connection and workspace.
    // Only that connection is lost (null with its error); the rest is answered, with a 200.
    expect(foreign.status).toBe(200);
    expect(foreign.errors?.map((e) => [e.extensions?.code, e.path])).toEqual([["INVALID_CURSOR", ["workspace", "usageRecords"]]]);
    expect(foreign.data?.workspace).toMatchObject({ usageRecords: null, executions: { totalCount: expect.any(Number) } });
  });

  test("rejects page sizes over 500 with a 400 naming the argument, and defaults to 50", async ({ gateway, keys }) => {
    const tooBig = await gateway.graphql(LedgerPage, { first: 501 }, bearer(keys.acme));
    expect(tooBig.status).toBe(200); // an argument refused by its resolver: data is present, so 200 with the error
    expect(tooBig.errors?.[0]?.message).toMatch(/first: first must be an integer from 1 to 500/);
    const negative = await gateway.graphql(LedgerPage, { first: -1 }, bearer(keys.acme));
    expect(negative.status).toBe(200);
    const defaults = await gateway.graphql(LedgerPage, {}, bearer(keys.acme));
    expect(defaults.data!.workspace!.creditTransactions!.edges).toHaveLength(50);
  });

  describe("usage rollups", () => {
    const rawMonths = (db: Database, workspaceId: string, timeZone: string, from: string, to: string) =>
      raw<{ bucket: Date; model: string | null; cost: Prisma.Decimal; credits: Prisma.Decimal; n: number }>(db,
        `SELECT date_trunc('month', "occurredAt" AT TIME ZONE $4) AT TIME ZONE $4 AS bucket, model, SUM("costUsd") cost, SUM(credits) credits, COUNT(*)::int n
         FROM "UsageRecord" WHERE "workspaceId" = $1::uuid AND "occurredAt" >= $2::timestamptz AND "occurredAt" < $3::timestamptz
         GROUP BY 1, 2 ORDER BY 1, 2`,
        workspaceId, from, to, timeZone,
      );
    const normalise = (rows: { bucket: string; model: string | null; cost: string; credits: string; n: number }[]) =>
      rows.map((r) => `${r.bucket}|${r.model}|${new Prisma.Decimal(r.cost).toFixed()}|${new Prisma.Decimal(r.credits).toFixed()}|${r.n}`).sort();

    for (const timeZone of ["America/New_York", "Europe/Berlin", "Asia/Kolkata"]) {
      test(`equal the raw rows by month across the DST change, in ${timeZone}`, async ({ gateway, db, keys }) => {
        const to = NOW.toISOString();
        const response = await gateway.graphql(Rollup, { from: OCT_1_NEW_YORK, to, granularity: "MONTH", groupBy: ["MODEL"], timeZone }, bearer(keys.acme));
        const rollup = response.data!.workspace!.usageRollup!;
        expect(rollup.usedDailyRollup).toBe(true);
        const expected = await rawMonths(db, keys.acmeId, timeZone, OCT_1_NEW_YORK, to);
        expect(expected.length).toBeGreaterThan(4);
        expect(normalise(rollup.rows.map((r) => ({ bucket: r.bucketStart!, model: r.group.model ?? null, cost: r.costUsd, credits: r.credits, n: r.eventCount }))))
          .toEqual(normalise(expected.map((r) => ({ bucket: r.bucket.toISOString(), model: r.model, cost: r.cost.toFixed(), credits: r.credits.toFixed(), n: r.n }))));
      });
    }

    // The workspace keeps its days in New York: other zones' buckets cut some of them, whose
    // shorter part is moved between buckets from the raw rows; whole months read the monthly tables
    // where their days share a bucket (not in Kiritimati, 19 hours ahead). Windows start and end mid-day.
    const DIMENSIONS = { MODEL: "model", SKU: `"skuId"`, API_KEY: `"apiKeyId"::text`, EXTERNAL_USER: `"externalUserId"`, EXTERNAL_PROJECT: `"externalProjectId"`, CURRENCY: "currency::text" } as const;
    const GROUPS = { MODEL: "model", SKU: "sku", API_KEY: "apiKeyId", EXTERNAL_USER: "externalUserId", EXTERNAL_PROJECT: "externalProjectId", CURRENCY: "currency" } as const;
    const groupings: (keyof typeof DIMENSIONS)[][] = [[], ["SKU"], ["EXTERNAL_USER"], ["API_KEY", "CURRENCY"], ["EXTERNAL_PROJECT", "MODEL"]];
    for (const timeZone of ["UTC", "Asia/Kolkata", "Asia/Kathmandu", "America/St_Johns", "Europe/Berlin", "America/Los_Angeles", "Australia/Adelaide", "America/New_York", "Pacific/Kiritimati"]) {
      test(`equal the raw rows for every unit and grouping in ${timeZone}`, async ({ gateway, db, keys }) => {
        const [from, to] = ["2026-09-28T13:17:00.000Z", "2026-11-21T19:45:30.000Z"];
        for (const granularity of ["DAY", "WEEK", "MONTH", "QUARTER", "ALL"] as const) {
          for (const groupBy of groupings) {
            const response = await gateway.graphql(GroupedRollup, { from, to, granularity, groupBy, timeZone }, bearer(keys.acme));
            const rollup = response.data!.workspace!.usageRollup!;
            expect(rollup.usedDailyRollup).toBe(true);
            const bucket = granularity === "ALL" ? "$2::timestamptz" : `date_trunc('${granularity.toLowerCase()}', "occurredAt" AT TIME ZONE $4) AT TIME ZONE $4`;
            const expected = await raw<{ bucket: Date; cost: Prisma.Decimal; credits: Prisma.Decimal; quantity: Prisma.Decimal; n: number; pt: bigint } & Record<string, string | null>>(db,
              `SELECT ${bucket} AS bucket, ${groupBy.map((d, i) => `${DIMENSIONS[d]} AS g${i}, `).join("")}SUM("costUsd") cost, SUM(credits) credits, SUM(units) quantity,
                 COUNT(*)::int n, COALESCE(SUM("promptTokens"), 0)::bigint pt
               FROM "UsageRecord" WHERE "workspaceId" = $1::uuid AND "occurredAt" >= $2::timestamptz AND "occurredAt" < $3::timestamptz
               GROUP BY ${[1, ...groupBy.map((_, i) => i + 2)].join(", ")}`,
              ...[keys.acmeId, from, to, ...(granularity === "ALL" ? [] : [timeZone])],
            );
            const label = `${granularity} by [${groupBy}]`;
            expect(expected.length, label).toBeGreaterThan(0);
            const line = (bucket: string, group: (string | null)[], cost: string, credits: string, quantity: string, n: number, pt: string) =>
              [bucket, ...group, new Prisma.Decimal(cost).toFixed(), new Prisma.Decimal(credits).toFixed(), new Prisma.Decimal(quantity).toFixed(), n, pt].join("|");
            expect(rollup.rows.map((r) => line(r.bucketStart ?? from, groupBy.map((d) => r.group[GROUPS[d]] ?? null), r.costUsd, r.credits, r.quantity, r.eventCount, String(r.promptTokens))).sort(), label)
              .toEqual(expected.map((r) => line(r.bucket.toISOString(), groupBy.map((_, i) => r[`g${i}`] ?? null), r.cost.toFixed(), r.credits.toFixed(), r.quantity.toFixed(), r.n, String(r.pt))).sort());
          }
        }
      });
    }

    test("read whole days from the daily rollup table and keep the totals exact for presets", async ({ gateway, db, keys }) => {
      for (const period of ["LAST_24_HOURS", "LAST_7_DAYS", "LAST_30_DAYS", "MONTH_TO_DATE", "LAST_MONTH"] as const) {
        const rollup = (await gateway.graphql(Rollup, { period, granularity: "DAY", groupBy: ["MODEL"] }, bearer(keys.acme))).data!.workspace!.usageRollup!;
        const [expected] = await raw<{ cost: Prisma.Decimal | null; n: number }>(db,
          `SELECT SUM("costUsd") cost, COUNT(*)::int n FROM "UsageRecord" WHERE "workspaceId" = $1::uuid AND "occurredAt" >= $2::timestamptz AND "occurredAt" < $3::timestamptz`,
          keys.acmeId, rollup.from, rollup.to,
        );
        expect(expected!.n, period).toBeGreaterThan(0); // the clock stands where the demo has data
        expect([period, rollup.totals.costUsd, rollup.totals.eventCount]).toEqual([period, new Prisma.Decimal(expected!.cost ?? 0).toFixed(), expected!.n]);
      }
      const hourly = (await gateway.graphql(Rollup, { period: "LAST_24_HOURS", granularity: "HOUR" }, bearer(keys.acme))).data!.workspace!.usageRollup!;
      expect(hourly.usedDailyRollup).toBe(false);
      expect(hourly.rows.length).toBeGreaterThan(5);
      expect(new Set(hourly.rows.map((r) => r.bucketStart)).size).toBe(hourly.rows.length);
    });

    test("group executions by workflow", async ({ gateway, db, keys }) => {
      const rollup = (await gateway.graphql(Rollup, { period: "LAST_30_DAYS", granularity: "ALL", groupBy: ["WORKFLOW"] }, bearer(keys.acme))).data!.workspace!.usageRollup!;
      expect(rollup.source).toBe("EXECUTIONS");
      const expected = await raw<{ workflow: string; cost: Prisma.Decimal; n: number }>(db,
        `SELECT "workflowId"::text workflow, SUM("costUsd") cost, COUNT(*)::int n FROM "Execution"
         WHERE "workspaceId" = $1::uuid AND "startedAt" >= $2::timestamptz AND "startedAt" < $3::timestamptz GROUP BY 1 ORDER BY 2 DESC`,
        keys.acmeId, rollup.from, rollup.to,
      );
      expect(expected.length).toBeGreaterThan(1); // several workflows ran in the window
      expect(rollup.rows.map((r) => [r.group.workflowId, r.costUsd, r.eventCount])).toEqual(expected.map((e) => [e.workflow, e.cost.toFixed(), e.n]));
    });

    test("answer bad arguments with 400 and a message naming them", async ({ gateway, keys }) => {
      const cases: [Record<string, unknown>, RegExp][] = [
        [{ period: "LAST_7_DAYS", timeZone: "Mars/Olympus" }, /unknown IANA time zone "Mars\/Olympus"/],
        [{ from: NOW.toISOString(), to: OCT_1_NEW_YORK }, /from must be before to/],
        [{ period: "LAST_7_DAYS", from: OCT_1_NEW_YORK }, /period or from\/to, not both/],
        [{ period: "LAST_7_DAYS", groupBy: ["WORKFLOW", "SKU"] }, /cannot be grouped by SKU/],
        [{ from: "2025-01-01T00:00:00Z", to: NOW.toISOString() }, /at most 366 days/],
        [{}, /from is required/],
      ];
      for (const [variables, message] of cases) {
        const response = await gateway.graphql(Rollup, variables, bearer(keys.acme));
        expect(response.status).toBe(200);
        expect(response.errors?.[0]?.message).toMatch(message);
        expect(response.errors?.[0]?.extensions?.code).toBe("VALIDATION_ERROR");
      }
    });

    test("are not reachable from another tenant's key", async ({ gateway, keys }) => {
      const response = await gateway.graphql(OtherWorkspaceRollup, {}, bearer(keys.globex));
      expect(response.data).toEqual({ workspace: null });
    });
  });

  test("derives each execution's Included/On-Demand type from the running monthly total", async ({ gateway, db, keys }) => {
    expect((await gateway.graphql(SetLimit, { limit: "15" }, bearer(keys.acme))).data!.setUsageLimit.__typename).toBe("Workspace");
    const page = (await gateway.graphql(Executions, { from: NOV_1_NEW_YORK, first: 500 }, bearer(keys.acme))).data!.workspace!.executions!;
    const costs = await raw<{ cost: Prisma.Decimal }>(db,
      `SELECT "costUsd" cost FROM "Execution" WHERE "workspaceId" = $1::uuid AND "startedAt" >= $2::timestamptz ORDER BY "startedAt", id LIMIT 500`,
      keys.acmeId, NOV_1_NEW_YORK,
    );
    let running = new Prisma.Decimal(0);
    const expected = costs.map(({ cost }) => {
      running = running.plus(cost);
      const onDemand = Prisma.Decimal.min(cost, Prisma.Decimal.max(0, running.minus(15)));
      return { costUsd: cost.toFixed(), billingType: running.gt(15) ? "ON_DEMAND" : "INCLUDED", monthToDateUsd: running.toFixed(), onDemandCostUsd: onDemand.toFixed() };
    });
    expect(page.edges.map((e) => e.node)).toEqual(expected);
    expect(expected.some((e) => e.billingType === "ON_DEMAND") && expected.some((e) => e.billingType === "INCLUDED")).toBe(true);

    // Spending covers the clock's month: November in New York, up to NOW.
    const spend = (await gateway.graphql(Spend, {}, bearer(keys.acme))).data!.workspace!.spending!;
    expect(spend.from).toBe(NOV_1_NEW_YORK);
    const [month] = await raw<{ cost: Prisma.Decimal | null; n: number }>(db,
      `SELECT SUM("costUsd") cost, COUNT(*)::int n FROM "Execution" WHERE "workspaceId" = $1::uuid AND "startedAt" >= $2::timestamptz AND "startedAt" < $3::timestamptz`,
      keys.acmeId, NOV_1_NEW_YORK, NOW.toISOString(),
    );
    expect(month!.n).toBeGreaterThan(0);
    const cost = new Prisma.Decimal(month!.cost ?? 0);
    expect(spend).toEqual({
      from: spend.from, monthlyLimitUsd: "15", costUsd: cost.toFixed(), executionCount: month!.n,
      includedCostUsd: Prisma.Decimal.min(cost, 15).toFixed(), onDemandCostUsd: Prisma.Decimal.max(0, cost.minus(15)).toFixed(),
    });
  });

  test("runs the dashboard operation in a fixed, small number of statements at any page size", async ({ gateway, db, keys }) => {
    const count = async (n: number) => {
      const statements: string[] = [];
      const stop = db.onQuery((sql) => statements.push(sql));
      try {
        const response = await gateway.graphql(Dashboard, { n }, bearer(keys.acme));
        expect(response.errors).toBeUndefined();
        expect(response.data!.workspace!.executions!.edges.length).toBe(Math.min(n, response.data!.workspace!.executions!.totalCount));
      } finally {
        stop();
      }
      return statements.length;
    };
    await count(10); // the key and the cursor secret are read once per process
    const small = await count(10);
    const large = await count(500);
    expect(large).toBe(small);
    // The viewer's workspaces, the workspace, a page and a count per connection (the executions'
    // page with their workflows; their billing from their running totals and the workspace's
    // limit, read already), the rollup, and the balance's open lots (credits expired since the
    // last write no longer count); the key comes from the key cache.
    expect(small).toBe(8);

    // A rollup is one statement in any zone: the days that another zone's months cut included.
    for (const timeZone of ["America/New_York", "Asia/Kolkata", "America/Los_Angeles"]) {
      const statements: string[] = [];
      const stop = db.onQuery((sql) => statements.push(sql));
      try {
        const response = await gateway.graphql(GroupedRollup, { from: OCT_1_NEW_YORK, to: NOW.toISOString(), granularity: "MONTH", groupBy: ["EXTERNAL_USER"], timeZone }, bearer(keys.acme));
        expect(response.data!.workspace!.usageRollup!.rows.length).toBeGreaterThan(0);
      } finally {
        stop();
      }
      expect(statements.filter((sql) => sql.includes('"UsageRecord"') || sql.includes('"UsageDaily')), timeZone).toHaveLength(1);
    }
  });

  test("sums only the metrics an operation selects (through fragments too), to the same totals", async ({ gateway, db, keys, clock }) => {
    for (const timeZone of ["America/New_York", "Asia/Kolkata"]) {
      const window = { from: OCT_1_NEW_YORK, to: NOW.toISOString(), timeZone };
      const statements: string[] = [];
      const stop = db.onQuery((sql) => statements.push(sql));
      const response = await gateway.graphql(CostRollup, window, bearer(keys.acme)).finally(stop);
      const rollup = response.data!.workspace!.usageRollup!;
      const [sql, ...more] = statements.filter((text) => text.includes('"UsageRecord"') || text.includes('"UsageDaily'));
      expect(more).toEqual([]);
      expect(sql).toContain('SUM("costUsd")');
      expect(sql).toContain('"promptTokens"'); // totalTokens, asked through the fragment
      for (const unasked of ['SUM("credits")', 'SUM("units")', 'SUM("quantity")', '"cacheReadTokens"']) expect(sql, unasked).not.toContain(unasked);

      const all = (await gateway.graphql(GroupedRollup, { ...window, granularity: "MONTH", groupBy: ["MODEL"] }, bearer(keys.acme))).data!.workspace!.usageRollup!;
      expect(rollup.rows).toEqual(all.rows.map((row) => ({ bucketStart: row.bucketStart, group: { model: row.group.model }, costUsd: row.costUsd })));
      const [tokens] = await raw<{ total: bigint }>(db,
        `SELECT SUM(COALESCE("promptTokens", 0) + COALESCE("completionTokens", 0))::bigint AS total FROM "UsageRecord"
         WHERE "workspaceId" = $1::uuid AND "occurredAt" >= $2::timestamptz AND "occurredAt" < $3::timestamptz`, keys.acmeId, window.from, window.to);
      expect(rollup.totals.totalTokens).toBe(String(tokens!.total));
    }

    // Read through the domain, a metric that was not summed is an error, never a zero.
    const domain = await usageRollup(await operatorAt(db, clock), { id: keys.acmeId }, { from: new Date(OCT_1_NEW_YORK), to: NOW, granularity: "MONTH", metrics: ["costUsd"] });
    expect(domain.rows[0]!.costUsd.toFixed()).toMatch(/^\d/);
    expect(() => domain.rows[0]!.credits).toThrow(/credits was not summed/);
    expect(() => domain.totals.quantity).toThrow(/quantity was not summed/);
  });

  test("pages read only the columns their selection needs (through fragments, aliases and nodes), with the values of whole rows", async ({ gateway, db, keys }) => {
    type Page = { edges?: { node: Record<string, unknown> }[]; nodes?: Record<string, unknown>[] };
    const read = async (query: string) => {
      const statements: string[] = [];
      const stop = db.onQuery((sql) => statements.push(sql));
      const response = await gateway.graphql(parse(query), {}, bearer(keys.acme)).finally(stop);
      expect(response.errors).toBeUndefined();
      const workspace = (response.data as { workspace: Record<string, Page> }).workspace;
      const rows = (name: string) => workspace[name]!.edges?.map((edge) => edge.node) ?? workspace[name]!.nodes!;
      const page = (table: string) => {
        const [sql, ...more] = statements.filter((text) => text.includes(`FROM "${table}"`) && text.includes("LIMIT"));
        expect(more).toEqual([]);
        return sql!;
      };
      return { ledger: rows("creditTransactions"), executions: rows("executions"), ledgerSql: page("CreditTransaction"), executionsSql: page("Execution") };
    };
    const pick = (rows: Record<string, unknown>[], ...fields: string[]) => rows.map((row) => Object.fromEntries(fields.map((field) => [field, row[field]])));

    const narrow = await read(`{ workspace {
      creditTransactions(first: 30) { edges { node { ...Entry } } }
      executions(first: 30) { nodes { startedAt cost: costUsd billingType workflow { name } } }
    } }
    fragment Entry on CreditTransaction { type amount balanceAfter occurredAt }`);
    const whole = await read(`{ workspace {
      creditTransactions(first: 30) { nodes { id type amount balanceAfter occurredAt description moneyAmount costUsd usageRecord { id } allocations { credits } } }
      executions(first: 30) { nodes { startedAt costUsd billingType workflow { name } trigger model totalTokens costBreakdown { model } idempotencyKey } }
    } }`);
    for (const column of ['"amount"', '"balanceAfter"', '"occurredAt"']) expect(narrow.ledgerSql).toContain(column);
    for (const column of ['"description"', '"lotDraws"', '"moneyAmount"', '"usageRecordId"']) expect(narrow.ledgerSql, column).not.toContain(column);
    for (const column of ['e."trigger"', 'e."costBreakdown"', 'e."inputTokens"', 'e."idempotencyKey"']) expect(narrow.executionsSql, column).not.toContain(column);
    // A field that names no columns of its own (a relation) reads the rows whole.
    expect(whole.ledgerSql).toContain('"lotDraws"');
    expect(whole.executionsSql).toContain('e."costBreakdown"');

    expect(narrow.ledger.length).toBe(30);
    expect(narrow.ledger).toEqual(pick(whole.ledger, "type", "amount", "balanceAfter", "occurredAt"));
    expect(narrow.executions.length).toBeGreaterThan(0);
    expect(narrow.executions).toEqual(whole.executions.map((row) => ({ startedAt: row.startedAt, cost: row.costUsd, billingType: row.billingType, workflow: row.workflow })));

    // Fields with columns of their own read those, and answer as whole rows do.
    const some = await read(`{ workspace {
      creditTransactions(first: 30) { nodes { description usageRecord { id } } }
      executions(first: 30) { edges { node { model totalTokens } } }
    } }`);
    expect(some.ledgerSql).toContain('"usageRecordId"');
    expect(some.ledgerSql).not.toContain('"lotDraws"');
    expect(some.ledger).toEqual(pick(whole.ledger, "description", "usageRecord"));
    expect(some.ledger.some((row) => row.usageRecord !== null)).toBe(true);
    expect(some.executions).toEqual(pick(whole.executions, "model", "totalTokens"));

    // Two aliases of one connection each read their own columns.
    const statements: string[] = [];
    const stop = db.onQuery((sql) => statements.push(sql));
    const aliased = await gateway.graphql(parse(`{ workspace {
      a: creditTransactions(first: 30) { nodes { amount } }
      b: creditTransactions(first: 30) { nodes { description } }
    } }`), {}, bearer(keys.acme)).finally(stop);
    expect(aliased.errors).toBeUndefined();
    const pages = statements.filter((text) => text.includes('FROM "CreditTransaction"') && text.includes("LIMIT"));
    expect(pages.filter((sql) => sql.includes('"amount"') && !sql.includes('"description"'))).toHaveLength(1);
    expect(pages.filter((sql) => sql.includes('"description"') && !sql.includes('"amount"'))).toHaveLength(1);
    const both = (aliased.data as { workspace: Record<string, { nodes: Record<string, unknown>[] }> }).workspace;
    expect(both.a!.nodes).toEqual(pick(whole.ledger, "amount"));
    expect(both.b!.nodes).toEqual(pick(whole.ledger, "description"));
  });

  test("rejects operations past the depth, alias, token and page limits with 400", async ({ gateway, keys }) => {
    const nested = (depth: number): string => (depth === 0 ? "slug" : `organization { workspaces { ${nested(depth - 1)} } }`);
    const cases: [string, RegExp][] = [
      [`{ workspace { ${nested(7)} } }`, /depth/i],
      [`{ ${Array.from({ length: 31 }, (_, i) => `a${i}: viewer { kind }`).join(" ")} }`, /alias/i],
      [`{ viewer { ${"kind ".repeat(3_001)} } }`, /token/i],
    ];
    for (const [query, message] of cases) {
      const response = await gateway.graphql(parse(query, { noLocation: true, maxTokens: 10_000 }), {}, bearer(keys.acme));
      expect(response.status).toBe(400);
      expect(response.errors?.[0]?.message).toMatch(message);
    }
  });

  test("reports code-generation activity like the Builder metrics API", async ({ gateway, db, keys }) => {
    const response = await gateway.graphql(Activity, { start: "2026-11-02", end: "2026-11-15", granularity: "WEEK" }, bearer(keys.acme));
    const metrics = response.data!.workspace!.activityMetrics!;
    expect(metrics.data.map((d) => d.period)).toEqual(["2026-11-02", "2026-11-09"]);
    const [expected] = await raw<{ lines: number; users: number; prompts: number; input: number }>(db,
      `SELECT SUM("totalLines")::int lines, COUNT(DISTINCT "userKey")::int users, SUM("userPrompts")::int prompts, SUM("inputTokens")::float8 input
       FROM "ActivityEvent" WHERE "workspaceId" = $1::uuid AND "occurredAt" >= '2026-11-02T05:00:00Z' AND "occurredAt" < '2026-11-16T05:00:00Z'`,
      keys.acmeId,
    );
    expect(metrics.summary).toMatchObject({ totalLinesGenerated: expected!.lines, users: expected!.users, totalUserPrompts: expected!.prompts });
    expect(metrics.data.reduce((s, d) => s + d.metrics.tokens.input, 0)).toBe(expected!.input);
    for (const d of metrics.data) {
      const k = d.metrics.tokens;
      expect(k.total).toBe(k.input + k.output + k.cacheWrite + k.cacheInput);
    }
    const tooLong = await gateway.graphql(Activity, { start: "2026-01-01", end: "2026-06-01", granularity: "DAY" }, bearer(keys.acme));
    expect(tooLong.status).toBe(200);
    expect(tooLong.errors?.[0]?.message).toMatch(/at most 90 days/);
    const badDate = await gateway.graphql(Activity, { start: "2026-13-01", end: "2026-12-01" }, bearer(keys.acme));
    expect(badDate.errors?.[0]?.message).toMatch(/startDate is not a date on the calendar/);

    const org = (await gateway.graphql(OrgActivity, { start: "2026-10-01", end: "2026-10-31" }, bearer(keys.acmeOrg))).data!.organization!;
    expect(org.slug).toBe("acme");
    const october = org.activityMetrics!.data[0]!.metrics;
    expect(october.spaces.map((s) => s.spaceName).sort()).toEqual(["Acme Production", "Acme Research"]);
    expect(october.spaces.reduce((s, x) => s + x.totalLines, 0)).toBe(october.totalLines);
  });
});
