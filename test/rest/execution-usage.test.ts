// Execution usage (004): cursor walks both ways, Included/On-Demand types matching GraphQL, and the
// CSV export with its columns, filename and 10,000-row cap.
import { describe, expect } from "vitest";
import { rebuildMonthToDate } from "../../src/store/executions.js";
import { prismaSql } from "../../src/store/rows.js";
import { graphql } from "../gql/index.js";
import { gatewayTest } from "../helpers/fixtures.js";
import { bearer, type TestGateway } from "../helpers/gateway.js";

const NOW = new Date("2026-11-22T09:00:00Z");
const FROM = "2026-10-20T00:00:00.000Z";
const TO = "2026-11-22T00:00:00.000Z";

const Twin = graphql(`
  query RestExecutionTwin($from: DateTime, $to: DateTime) {
    workspace { executions(from: $from, to: $to, first: 100) { edges { node { id billingType costUsd } } } }
  }
`);

interface Row { id: string; type: string; cost: number; date: string }

const test = gatewayTest({ now: NOW, demo: { days: 40, usageRecords: 1_000 } }).extend("limited", { scope: "file", auto: true }, async ({ db, acmeProd }) => {
  await db.prisma.workspace.update({ where: { id: acmeProd.workspaceId }, data: { monthlyLimitUsd: "10" } });
});

async function get(gateway: TestGateway, key: string, query: string, path = "/api/billing/usage") {
  const response = await fetch(`${gateway.url}${path}?${query}`, { headers: bearer(key) });
  return { status: response.status, headers: response.headers, text: await response.clone().text(), json: () => response.json() };
}

describe("REST execution usage", () => {
  test("walks every row forwards and back with Stripe-style cursors, 100 at a time", async ({ gateway, db, acmeProd: { key, workspaceId } }) => {
    const forward: Row[] = [];
    let cursor: string | null = null;
    let last: { prev_cursor: string | null } | null = null;
    do {
      const page = await (await get(gateway, key, `from=${FROM}&to=${TO}${cursor ? `&starting_after=${cursor}` : ""}`)).json();
      expect(page.data.length).toBeLessThanOrEqual(100);
      forward.push(...page.data);
      cursor = page.has_more ? page.next_cursor : null;
      last = page;
    } while (cursor);
    const count = await db.prisma.execution.count({ where: { workspaceId, startedAt: { gte: new Date(FROM), lt: new Date(TO) } } });
    expect(forward).toHaveLength(count);
    expect(new Set(forward.map((r) => r.id)).size).toBe(count);
    expect(new Set(forward.map((r) => r.type))).toEqual(new Set(["Included", "On-Demand"]));
    const dates = forward.map((r) => r.date);
    expect(dates).toEqual([...dates].sort().reverse());

    const backward: Row[] = [];
    let before = last!.prev_cursor;
    while (before) {
      const page = await (await get(gateway, key, `from=${FROM}&to=${TO}&ending_before=${before}`)).json();
      backward.unshift(...page.data);
      before = page.prev_cursor;
    }
    expect(backward.map((r) => r.id)).toEqual(forward.slice(0, backward.length).map((r) => r.id));
    expect(backward.length).toBe(forward.length - (forward.length % 100 || 100));
  });

  test("types each row Included or On-Demand exactly as the GraphQL billingType", async ({ gateway, acmeProd: { key } }) => {
    const rest = (await (await get(gateway, key, `from=${FROM}&to=${TO}`)).json()).data as Row[];
    const twin = (await gateway.graphql(Twin, { from: FROM, to: TO }, bearer(key))).data!.workspace!.executions!.edges;
    expect(rest.map((r) => [r.id, r.type, String(r.cost)])).toEqual(
      twin.map((e) => [Buffer.from(e.node.id, "base64").toString().split(":")[1], e.node.billingType === "INCLUDED" ? "Included" : "On-Demand", e.node.costUsd]),
    );
  });

  test("validates windows, presets and cursors", async ({ gateway, acmeProd: { key } }) => {
    const cases: [string, string][] = [
      ["preset=2w", "preset"],
      ["preset=7d&from=2026-11-01", "preset"],
      [`from=${TO}&to=${FROM}`, "from"],
      ["from=yesterday", "from"],
      ["limit=101", "limit"],
      ["starting_after=abc", "starting_after"],
      ["starting_after=999999999", "starting_after"],
      ["starting_after=1&ending_before=2", "starting_after"],
    ];
    for (const [query, param] of cases) {
      const response = await get(gateway, key, query);
      expect([query, response.status, (await response.json()).error.param]).toEqual([query, 400, param]);
    }
    expect((await get(gateway, key, "preset=7d")).status).toBe(200);
  });

  test("exports the same rows as CSV with the document's columns and filename", async ({ gateway, db, acmeProd: { key, workspaceId } }) => {
    const response = await get(gateway, key, `from=${FROM}&to=${TO}`, "/api/billing/usage/export");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/csv/);
    // The date is the clock's, in the workspace's zone (New York).
    expect(response.headers.get("content-disposition")).toBe(`attachment; filename="usage-${workspaceId}-2026-11-22.csv"`);
    expect(response.headers.get("x-export-truncated")).toBe("false");
    const lines = response.text.trim().split("\n");
    expect(lines[0]).toBe("Date,Execution,Workflow,Trigger,Model,Tokens,Cost (USD)");
    const page = (await (await get(gateway, key, `from=${FROM}&to=${TO}`)).json()).data as (Row & { workflow: { name: string }; tokens: number; model: string; trigger: string })[];
    expect(lines.slice(1, 101)).toEqual(page.map((r) => [r.date, r.id, r.workflow.name, r.trigger, r.model, r.tokens, r.cost].join(",")));
    const count = await db.prisma.execution.count({ where: { workspaceId, startedAt: { gte: new Date(FROM), lt: new Date(TO) } } });
    expect(lines).toHaveLength(count + 1);
  });

  test("caps the export at 10,000 rows and says so in a header", async ({ gateway, db, acmeProd: { key, workspaceId } }) => {
    const workflow = await db.prisma.workflow.findFirstOrThrow({ where: { workspaceId } });
    await db.prisma.$executeRawUnsafe(
      `INSERT INTO "Execution" ("workspaceId", "workflowId", "startedAt", "trigger", "model", "costUsd", "monthToDateUsd")
       SELECT $1::uuid, $2::uuid, '2026-09-01T00:00:00Z'::timestamptz + n * interval '1 second', 'api', 'gpt-4o-mini', 0.001, 0
       FROM generate_series(1, 10050) n`,
      workspaceId, workflow.id,
    );
    await rebuildMonthToDate(prismaSql(db.prisma), workspaceId); // as the seeds do after a bulk insert
    const response = await get(gateway, key, "from=2026-09-01T00:00:00Z&to=2026-09-02T00:00:00Z", "/api/billing/usage/export");
    expect(response.headers.get("x-export-truncated")).toBe("true");
    expect(response.headers.get("x-export-row-limit")).toBe("10000");
    expect(response.text.trim().split("\n")).toHaveLength(10_001);
  });
});
