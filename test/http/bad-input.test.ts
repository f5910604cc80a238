// Hostile input on every surface, as an attacker would send it: every REST query and path
// parameter (taken from the OpenAPI document), the ingestion body, and every GraphQL argument
// (taken from introspection). None may produce a 5xx or an internal error, every error carries a
// stable code, and values that only look valid are refused rather than read some other way.
import {
  buildClientSchema, getIntrospectionQuery, getNamedType, isEnumType, isInputObjectType, isLeafType, isListType, isNonNullType, isScalarType,
  parse as parseDocument, type GraphQLArgument, type GraphQLInputType, type GraphQLObjectType, type GraphQLOutputType, type IntrospectionQuery,
} from "graphql";
import { describe, expect } from "vitest";
import { gatewayTest } from "../helpers/fixtures.js";
import { bearer } from "../helpers/gateway.js";

const LONG = "x".repeat(20_000);
/** Text an attacker tries anywhere a string goes. */
const HOSTILE_TEXT = [
  "\u0000", "a\u0000b", "\u0007", "\u001b[31m", "\u007f", "\uD800", "💥", "", " ", " 5", "5 ", LONG, "'; DROP TABLE \"Workspace\"; --",
  "%00", "%ZZ", "../../etc/passwd", "{{7*7}}", "<script>alert(1)</script>", "null", "undefined", "true", "[]", "{}",
  "-1", "0", "1e1", "0x10", "1.5", "-0", "99999999999999999999", "-8.64e15", "8.64e15", "NaN", "Infinity",
  "0000-01-01", "-004713-01-01", "1969-12-31T23:59:59Z", "2026-02-30", "2026-02-29", "2026-13-01", "2026-00-10", "10000-01-01",
  "2026-01-01T25:00:00Z", "2026-01-01T23:60:00Z", "2026-01-01T23:59:60Z", "2026-01-01T00:00:00+24:00", "2026-01-01T00:00:00",
  "2026-11-01 10:00", "01/11/2026", "Tm9wZTox", Buffer.from("Workspace:\u0000").toString("base64"), "00000000-0000-0000-0000-00000000000g",
];
/** Values that look like a date, a time or a number but are not valid ones; each must be refused where it is typed. */
const LOOKALIKES = {
  date: ["2026-02-30", "2026-02-29", "2026-13-01", "2026-04-31", "0000-01-01", "-004713-01-01", "1969-12-31", "10000-01-01"],
  instant: ["2026-02-30T00:00:00Z", "2026-01-01T24:00:00Z", "2026-01-01T00:00:60Z", "0000-01-01T00:00:00Z", "1969-12-31T23:59:59Z", "2026-01-01T00:00:00", "2026-01-01T00:00:00+25:00", "true"],
  integer: ["1e1", "0x10", " 5", "5 ", "1.0", "-1", "+5", "٥", "1_000"],
  epoch: ["-1", "-8.64e15", "1e12", "0x10", " 1", "1.5", "253402300800000"],
};

const test = gatewayTest({ demo: { days: 5, usageRecords: 400 } }).extend("surfaces", { scope: "file" }, async ({ gateway, demo }) => {
  const doc = (await (await fetch(`${gateway.url}/openapi.json`)).json()) as OpenApi;
  const introspection = (await gateway.graphql<IntrospectionQuery, object>(parseDocument(getIntrospectionQuery()), {}, bearer(demo.demoApiKey))).data!;
  return {
    doc,
    schema: buildClientSchema(introspection),
    key: demo.demoApiKey,
    workspaceId: demo.workspaces.find((w) => w.slug === "acme-prod")!.id,
  };
});

interface OpenApi {
  paths: Record<string, Record<string, { parameters?: { name: string; in: string; schema: { type?: string; format?: string; enum?: string[] } }[] }>>;
}

/** A 4xx or 2xx with a JSON body; an error has a stable code. */
async function expectHandled(response: Response, context: string) {
  const text = await response.text();
  expect(response.status, `${context} → ${response.status} ${text.slice(0, 200)}`).toBeLessThan(500);
  if (response.status >= 400) {
    const body = JSON.parse(text) as { error?: { code?: string }; errors?: { extensions?: { code?: string } }[] };
    const code = body.error?.code ?? body.errors?.[0]?.extensions?.code;
    expect(code, `${context}: ${text.slice(0, 200)}`).toMatch(/^[A-Za-z_ ]+$/);
  }
  return { status: response.status, text };
}

/** Values a route needs to get past its required parameters. */
function baseline(path: string, now: number): Record<string, string> {
  if (path.includes("/metrics/")) return { startDate: "2026-01-01", endDate: "2026-01-07" };
  if (path.includes("/focus-")) return { from: String(now - 86_400_000), to: String(now) };
  return {};
}

describe("hostile input", () => {
  test("on every REST query parameter: no 5xx, every error JSON with a code", async ({ gateway, surfaces }) => {
    let sent = 0;
    for (const [path, methods] of Object.entries(surfaces.doc.paths)) {
      for (const [method, op] of Object.entries(methods)) {
        for (const parameter of (op.parameters ?? []).filter((p) => p.in === "query")) {
          for (const value of HOSTILE_TEXT) {
            const query = new URLSearchParams({ ...baseline(path, gateway.clock.now().getTime()), [parameter.name]: value });
            const url = `${gateway.url}${path.replace("{spaceId}", surfaces.workspaceId)}?${query}`;
            const body = method === "post" ? "[]" : undefined;
            await expectHandled(await fetch(url, { method: method.toUpperCase(), body, headers: { ...bearer(surfaces.key), "content-type": "application/json" } }), `${method} ${path} ${parameter.name}=${JSON.stringify(value.slice(0, 30))}`);
            sent++;
          }
        }
      }
    }
    expect(sent).toBeGreaterThan(1_500);
  });

  test("on path parameters and unknown or repeated query parameters", async ({ gateway, surfaces }) => {
    for (const value of [...HOSTILE_TEXT.filter((v) => v !== ""), "%ZZ", "%", "%u0000", "%C0%AF", "..%2F..%2F"]) {
      const raw = /%/.test(value) ? value : encodeURIComponent(value.replace("\uD800", "\uFFFD"));
      const response = await fetch(`${gateway.url}/api/v1/metrics/spaces/${raw}?startDate=2026-01-01&endDate=2026-01-07`, { headers: bearer(surfaces.key) });
      const { status } = await expectHandled(response, `space ${value.slice(0, 20)}`);
      expect([400, 404, 431]).toContain(status); // 431: a path longer than the 16 KB the headers may take
    }
    const repeated = await fetch(`${gateway.url}/api/mcp/credits/transactions?limit=5&limit=6`, { headers: bearer(surfaces.key) });
    expect([repeated.status, (await repeated.json()).error]).toEqual([400, expect.objectContaining({ code: "INVALID_PARAMETER", param: "limit" })]);
    for (const name of ["lmit", "toString", "__proto__", "constructor", "hasOwnProperty"]) {
      const unknown = await fetch(`${gateway.url}/api/mcp/credits/transactions?${name}=5`, { headers: bearer(surfaces.key) });
      expect([name, unknown.status, (await unknown.json()).error]).toEqual([name, 400, expect.objectContaining({ code: "INVALID_PARAMETER", message: `${name} is not a parameter of this route` })]);
    }
  });

  test("refuses values that only look like dates, instants and integers, naming the parameter", async ({ gateway, surfaces }) => {
    const cases: [string, string, string[]][] = [
      ["/api/v1/metrics/spaces/{spaceId}", "startDate", LOOKALIKES.date],
      ["/api/v1/billing/usage", "startDate", LOOKALIKES.instant],
      ["/api/v1/billing/usage", "endDate", LOOKALIKES.instant],
      ["/api/billing/usage", "from", LOOKALIKES.instant],
      ["/api/v1/billing/usage", "limit", LOOKALIKES.integer],
      ["/api/v1/billing/usage", "page", LOOKALIKES.integer],
      ["/api/mcp/credits/transactions", "limit", LOOKALIKES.integer],
      ["/api/billing/usage", "limit", LOOKALIKES.integer],
      ["/api/billing/focus-export", "from", LOOKALIKES.epoch],
      ["/api/billing/focus-metadata", "to", LOOKALIKES.epoch],
    ];
    for (const [path, name, values] of cases) {
      for (const value of values) {
        const query = new URLSearchParams({ ...baseline(path, gateway.clock.now().getTime()), [name]: value });
        const response = await fetch(`${gateway.url}${path.replace("{spaceId}", surfaces.workspaceId)}?${query}`, { headers: bearer(surfaces.key) });
        const body = await response.json();
        expect([path, name, value, response.status, body.error?.param]).toEqual([path, name, value, 400, name]);
      }
    }
    // The last day the gateway takes: its inclusive end is still a time PostgreSQL can be given.
    for (const path of ["/api/v1/billing/usage/analytics?startDate=9999-06-01&endDate=9999-12-31", "/api/v1/billing/usage?startDate=9999-12-31&endDate=9999-12-31",
      `/api/v1/metrics/spaces/${surfaces.workspaceId}?startDate=9999-12-01&endDate=9999-12-31`]) {
      const edge = await fetch(`${gateway.url}${path}`, { headers: bearer(surfaces.key) });
      expect([path, edge.status]).toEqual([path, 200]);
      await edge.arrayBuffer();
    }
    const custom = await fetch(`${gateway.url}/api/v1/usage?period=custom&start=2026-02-30T00:00:00Z&end=2026-03-02T00:00:00Z`, { headers: bearer(surfaces.key) });
    expect([custom.status, (await custom.json()).error.code]).toEqual([422, "invalid_custom_range"]);
  });

  test("on the ingestion body: whole bodies and every field of a record", async ({ gateway, surfaces }) => {
    const post = (body: string, type = "application/json") =>
      fetch(`${gateway.url}/api/v1/events`, { method: "POST", body, headers: { ...bearer(surfaces.key), "content-type": type } });
    const bodies = ["", "null", "true", "1", '"x"', "{}", "[[]]", "[null]", "[1]", "[\"\\u0000\"]", "[".repeat(10_000), `[${"[".repeat(5_000)}${"]".repeat(5_000)}]`, '{"__proto__": {"x": 1}}', "\u0000", "\uFEFF[]"];
    for (const body of bodies) await expectHandled(await post(body), `body ${JSON.stringify(body.slice(0, 20))}`);
    for (const body of bodies) await expectHandled(await post(body, "application/x-ndjson"), `ndjson ${JSON.stringify(body.slice(0, 20))}`);
    const good = { idempotencyKey: "hostile", sku: "storage-gb-hours", units: "1" };
    const fields = ["idempotencyKey", "sku", "units", "currency", "occurredAt", "notes", "requestId", "inferenceExecutionTimeMs", "promptTokens", "completionTokens",
      "cacheReadTokens", "cacheWriteTokens", "model", "externalUserId", "externalProjectId", "resourceKind", "resourceId"];
    const values: unknown[] = [...HOSTILE_TEXT, null, true, false, 0, -1, 1.5, 1e308, -1e308, 2 ** 53 + 1, [], {}, { $gt: "" }, ["a"]];
    let accepted = 0;
    for (const field of fields) {
      const records = values.map((value, i) => ({ ...good, idempotencyKey: `hostile-${field}-${i}`, [field]: value }));
      const { status, text } = await expectHandled(await post(JSON.stringify(records)), `field ${field}`);
      expect(status, field).toBe(200);
      const results = (JSON.parse(text) as { results: { status: string; error?: { code?: string } }[] }).results;
      for (const result of results) if (result.status === "rejected") expect(result.error?.code).toMatch(/^[A-Z_]+$/);
      accepted += results.filter((r) => r.status === "accepted").length;
    }
    expect(accepted).toBeGreaterThan(0); // some hostile-looking values are fine (a notes text, say)
  });

  test("on every GraphQL argument: no INTERNAL_SERVER_ERROR, every error with a code", async ({ gateway, surfaces }) => {
    const schema = surfaces.schema;
    const values = (type: GraphQLInputType): unknown[] => {
      const named = getNamedType(type);
      const scalars = isScalarType(named) ? named.name : null;
      const base: unknown[] =
        scalars === "Int" ? [-1, 0, 2_147_483_647, -2_147_483_648, 1.5, "1"]
        : scalars === "Boolean" ? ["true", 1]
        : isEnumType(named) ? ["NOT_A_VALUE", 1]
        : isInputObjectType(named) ? [{}, { nope: 1 }, "x"]
        : HOSTILE_TEXT;
      return isListType(isNonNullType(type) ? type.ofType : type) ? [...base.map((v) => [v]), [], base.slice(0, 50)] : [...base, null];
    };
    let sent = 0;
    /** A field to call with one hostile argument, reached through `path`, with a selection if it returns an object. */
    interface Target { name: string; args: readonly GraphQLArgument[]; selection: string; mutation: boolean; path(call: string): string }
    const targets: Target[] = [];
    const selectionOf = (type: GraphQLOutputType) => (isLeafType(getNamedType(type)) ? "" : "{ __typename }");
    for (const field of Object.values(schema.getQueryType()!.getFields())) {
      if (field.args.length) targets.push({ name: field.name, args: field.args, selection: selectionOf(field.type), mutation: false, path: (call) => call });
    }
    for (const field of Object.values((schema.getType("Workspace") as GraphQLObjectType).getFields())) {
      if (field.args.length) targets.push({ name: field.name, args: field.args, selection: selectionOf(field.type), mutation: false, path: (call) => `workspace { ${call} }` });
    }
    for (const field of Object.values(schema.getMutationType()!.getFields())) {
      targets.push({ name: field.name, args: field.args, selection: "{ __typename }", mutation: true, path: (call) => call });
    }
    for (const target of targets) {
      for (const arg of target.args) {
        for (const value of values(arg.type)) {
          const variables = `$v: ${arg.type.toString()}`;
          const others = target.args.filter((a) => a !== arg && isNonNullType(a.type)).map((a) => `${a.name}: ${placeholder(a.type)}`);
          const call = `${target.name}(${[`${arg.name}: $v`, ...others].join(", ")}) ${target.selection}`;
          const query = `${target.mutation ? "mutation" : "query"} Hostile(${variables}) { ${target.path(call)} }`;
          const response = await fetch(`${gateway.url}/graphql`, {
            method: "POST",
            headers: { "content-type": "application/json", accept: "application/graphql-response+json", ...bearer(surfaces.key) },
            body: JSON.stringify({ query, variables: { v: value } }),
          });
          const text = await response.text();
          const context = `${target.name}(${arg.name}: ${JSON.stringify(value)?.slice(0, 40)})`;
          expect(response.status, `${context} ${text.slice(0, 300)}`).toBeLessThan(500);
          const body = JSON.parse(text) as { errors?: { extensions?: { code?: string } }[] };
          for (const error of body.errors ?? []) {
            expect(error.extensions?.code, `${context} ${text.slice(0, 300)}`).toMatch(/^[A-Z_]+$/);
            expect(error.extensions?.code, `${context} ${text.slice(0, 300)}`).not.toBe("INTERNAL_SERVER_ERROR");
          }
          sent++;
        }
      }
    }
    expect(sent).toBeGreaterThan(1_000);
  }, 300_000);
});

/** A valid value for a required argument that is not under test. */
function placeholder(type: GraphQLInputType): string {
  const named = getNamedType(type);
  if (isListType(isNonNullType(type) ? type.ofType : type)) return "[]";
  if (named.name === "DateTime") return '"2026-01-01T00:00:00Z"';
  if (named.name === "String") return '"2026-01-01"';
  if (named.name === "Decimal") return '"1"';
  if (named.name === "ID") return '"x"';
  if (named.name === "Int") return "1";
  if (isInputObjectType(named)) return "{}";
  return '"x"';
}

