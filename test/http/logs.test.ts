// The log stream, line by line: every line is one JSON object; every line written while a request
// is served carries its request id; an unexpected error logs its stack once, with that id, and the
// answer names the id for the user to quote.
import { describe, expect } from "vitest";
import { gatewayTest } from "../helpers/fixtures.js";
import { bearer } from "../helpers/gateway.js";

const test = gatewayTest();

type Line = Record<string, unknown> & { msg?: string; requestId?: string; err?: string };
const parsed = (logs: string[]) => logs.map((line) => JSON.parse(line) as Line);

describe("the log stream", () => {
  test("is one JSON object a line, and every line of a request carries its id", async ({ gateway, logs, clock, tenants: { acme } }) => {
    const from = logs.length;
    const now = clock.now().getTime();
    const ids: string[] = [];
    for (const path of [`/api/billing/focus-export?from=${now - 86_400_000}&to=${now}`, "/api/mcp/credits/balance", "/nope"]) {
      const response = await fetch(`${gateway.url}${path}`, { headers: { ...bearer(acme.keys.read), "x-request-id": `req-${ids.length}` } });
      await response.arrayBuffer();
      ids.push(response.headers.get("x-request-id")!);
    }
    await expect.poll(() => logs.length - from).toBeGreaterThanOrEqual(4);
    const lines = parsed(logs.slice(from));
    expect(ids).toEqual(["req-0", "req-1", "req-2"]);
    // The export logs a line of its own besides the request line: both carry the id.
    expect(lines.filter((l) => l.requestId === "req-0").map((l) => l.msg).sort()).toEqual(["focus export sent", "request"]);
    for (const id of ids) expect(lines.some((l) => l.requestId === id && l.msg === "request")).toBe(true);
    expect(lines.filter((l) => !l.requestId)).toEqual([]);
  });

  test("logs an unexpected error's stack once, with the request id that the answer names", async ({ gateway, logs, db, tenants: { acme } }) => {
    // A table the gateway needs has gone: a fault of ours, not of the client's or the database's availability.
    await db.prisma.$executeRawUnsafe(`ALTER TABLE "ActivityEvent" RENAME TO "ActivityEventGone"`);
    try {
      const from = logs.length;
      const rest = await fetch(`${gateway.url}/api/v1/metrics/organization?startDate=2026-11-01&endDate=2026-11-14`, { headers: { ...bearer(acme.keys.orgAdmin), "x-request-id": "broken-rest" } });
      expect(rest.status).toBe(500);
      expect(await rest.json()).toEqual({ error: { code: "INTERNAL_SERVER_ERROR", message: "Unexpected error; quote request id broken-rest", requestId: "broken-rest" } });
      const graphql = await fetch(`${gateway.url}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json", ...bearer(acme.keys.read), "x-request-id": "broken-graphql" },
        body: JSON.stringify({ query: `{ workspace { activityMetrics(startDate: "2026-11-01", endDate: "2026-11-14") { data { __typename } } } }` }),
      });
      const body = (await graphql.json()) as { errors: { message: string; extensions: Record<string, unknown> }[] };
      expect(body.errors[0]).toMatchObject({ message: "Unexpected error; quote request id broken-graphql", extensions: { code: "INTERNAL_SERVER_ERROR", requestId: "broken-graphql" } });
      await expect.poll(() => parsed(logs.slice(from)).filter((l) => l.msg === "request").length).toBe(2);
      const lines = parsed(logs.slice(from));
      for (const id of ["broken-rest", "broken-graphql"]) {
        const errors = lines.filter((l) => l.requestId === id && (l.level as number) >= 50);
        expect(errors).toHaveLength(1);
        expect(errors[0]!.err).toMatch(/ActivityEvent[\s\S]*\n\s+at /); // the stack, with the cause
      }
      expect(JSON.stringify(lines)).not.toContain(acme.keys.read);
    } finally {
      await db.prisma.$executeRawUnsafe(`ALTER TABLE "ActivityEventGone" RENAME TO "ActivityEvent"`);
    }
  });
});
