// /openapi.json against the routes: generated from their own zod schemas, it lists exactly the
// routes served, every documented enum or integer parameter is validated, real responses match
// the documented schemas and send no header it does not declare, and two linters find no error.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { describe, expect } from "vitest";
import { REST_ROUTES } from "../../src/rest/routes.js";
import { gatewayTest } from "../helpers/fixtures.js";
import { bearer, operatorKey, type TestGateway } from "../helpers/gateway.js";

interface Parameter { name: string; in: string; required?: boolean; schema: { enum?: string[]; type?: string; minimum?: number; maximum?: number } }
interface Response { headers?: Record<string, unknown>; content?: Record<string, { schema: object }> }
interface Operation { operationId: string; parameters?: Parameter[]; responses: Record<string, Response> }
type Document = { openapi: string; paths: Record<string, Record<string, Operation>> };

/** Headers every HTTP answer has, which no route declares. */
const TRANSPORT_HEADERS = new Set(["content-type", "content-length", "date", "connection", "keep-alive", "transfer-encoding"]);

const test = gatewayTest({ demo: { days: 10, usageRecords: 500 } }).extend("api", { scope: "file" }, async ({ db, clock, gateway, demo }) => {
  const org = await db.prisma.organization.findUniqueOrThrow({ where: { slug: "acme" } });
  return {
    workspaceId: demo.workspaces.find((w) => w.slug === "acme-prod")!.id,
    keys: { workspace: demo.demoApiKey, org: await operatorKey(db, { name: "o", scopes: ["read:billing"], organizationId: org.id }, clock) },
    doc: (await (await fetch(`${gateway.url}/openapi.json`)).json()) as Document,
    exportJob: await finishedExportJob(gateway, demo.demoApiKey),
  };
});

type Api = { workspaceId: string; keys: { workspace: string; org: string }; doc: Document; exportJob: { id: string; fileUrl: string; month: string } };

/** A finished export job and a monthly delivery, for the export routes that need one. */
async function finishedExportJob(gateway: TestGateway, key: string) {
  const now = gateway.clock.now().getTime();
  const headers = { ...bearer(key), "content-type": "application/json" };
  await fetch(`${gateway.url}/graphql`, { method: "POST", headers, body: JSON.stringify({ query: "mutation { setFocusDelivery(input: {}) { __typename } }" }) });
  const job = (await (await fetch(`${gateway.url}/api/billing/focus-exports`, { method: "POST", headers, body: JSON.stringify({ from: now - 86_400_000, to: now }) })).json()) as { id: string };
  await gateway.focusExports.runOnce();
  const done = (await (await fetch(`${gateway.url}/api/billing/focus-exports/${job.id}`, { headers })).json()) as { files: { url: string }[] };
  return { id: job.id, fileUrl: done.files[0]!.url, month: new Date(now).toISOString().slice(0, 7) };
}

/** What a route answers when all is well: its first 2xx or 3xx. */
const successOf = (op: Operation) => Object.keys(op.responses).find((status) => /^[23]/.test(status))!;

const operations = (doc: Document) =>
  Object.entries(doc.paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => ({ path, method: method.toUpperCase(), op })));

function call(gateway: TestGateway, api: Api, method: string, path: string, query: Record<string, string> = {}) {
  const now = gateway.clock.now().getTime();
  const params = new URLSearchParams({
    ...(path.includes("/metrics/") ? { startDate: "2026-01-01", endDate: "2026-01-07" } : {}),
    ...(path.includes("/focus-") ? { from: String(now - 7 * 86_400_000), to: String(now) } : {}),
    ...query,
  });
  if (path.includes("/focus-exports")) {
    params.delete("from");
    params.delete("to");
    if (path.endsWith("/latest")) params.set("month", api.exportJob.month);
  }
  const key = path.includes("/metrics/organization") ? api.keys.org : api.keys.workspace;
  const body = method !== "POST" ? undefined : path.endsWith("/focus-exports") ? JSON.stringify({ from: now - 86_400_000, to: now }) : JSON.stringify([{ idempotencyKey: `openapi-${Math.random()}`, sku: "storage-gb-hours", units: "1" }]);
  const target = path.includes("/files/") ? api.exportJob.fileUrl : `${path.replace("{spaceId}", api.workspaceId).replace("{jobId}", api.exportJob.id)}?${params}`;
  return fetch(`${gateway.url}${target}`, { method, body, redirect: "manual", headers: { ...bearer(key), "content-type": "application/json" } });
}

describe("OpenAPI document", () => {
  test("is OpenAPI 3.1 and lists exactly the routes the gateway serves", ({ api: { doc } }) => {
    expect(doc.openapi).toBe("3.1.0");
    const documented = operations(doc).map(({ method, path }) => `${method} ${path}`).sort();
    const served = REST_ROUTES.map((r) => `${r.method} ${r.path.replace(/:(\w+)\*?/g, "{$1}")}`).sort();
    expect(documented).toEqual(served);
  });

  test("documents parameters that the routes validate", async ({ gateway, api }) => {
    let checked = 0;
    for (const { method, path, op } of operations(api.doc)) {
      for (const parameter of op.parameters ?? []) {
        if (parameter.in !== "query" || (!parameter.schema.enum && parameter.schema.type !== "integer")) continue;
        const bad = parameter.schema.enum ? "not-a-documented-value" : String((parameter.schema.maximum ?? 1_000_000_000) + 1);
        const response = await call(gateway, api, method, path, { [parameter.name]: bad });
        const body = (await response.json()) as { error?: { param?: string } };
        expect([op.operationId, parameter.name, response.status >= 400 && response.status < 500]).toEqual([op.operationId, parameter.name, true]);
        expect([op.operationId, body.error?.param]).toEqual([op.operationId, parameter.name]);
        // The documented bounds and values themselves are accepted.
        const good = parameter.schema.enum ? parameter.schema.enum.filter((v) => v !== "custom") : [parameter.schema.maximum, parameter.schema.minimum].filter((v) => v !== undefined).map(String);
        for (const value of good) {
          const ok = await call(gateway, api, method, path, { [parameter.name]: value });
          await ok.arrayBuffer();
          expect([op.operationId, parameter.name, value, ok.status]).toEqual([op.operationId, parameter.name, value, 200]);
        }
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(10);
  });

  test("describes the JSON that the routes answer, and every header they send", async ({ gateway, api }) => {
    const ajv = new Ajv2020.default({ strict: false, allErrors: true });
    addFormats.default(ajv);
    let validated = 0;
    for (const { method, path, op } of operations(api.doc)) {
      const response = await call(gateway, api, method, path);
      const success = successOf(op);
      expect([op.operationId, String(response.status)]).toEqual([op.operationId, success]);
      const declared = new Set(Object.keys(op.responses[success]?.headers ?? {}).map((h) => h.toLowerCase()));
      const sent = [...response.headers.keys()].filter((h) => !TRANSPORT_HEADERS.has(h));
      expect([op.operationId, sent.filter((h) => !declared.has(h))]).toEqual([op.operationId, []]);
      const json = response.headers.get("content-type")?.startsWith("application/json");
      const schema = json ? op.responses[success]?.content?.["application/json"]?.schema : undefined;
      if (!schema) {
        await response.arrayBuffer();
        continue;
      }
      const validate = ajv.compile({ ...schema, components: (api.doc as unknown as { components: object }).components });
      const body = await response.json();
      expect([op.operationId, validate(body) ? "valid" : ajv.errorsText(validate.errors)]).toEqual([op.operationId, "valid"]);
      validated++;
    }
    expect(validated).toBe(14);
  });

  test("documents the error envelope and the errors every route may answer", async ({ gateway, api }) => {
    const error = (api.doc as unknown as { components: { schemas: Record<string, unknown> } }).components.schemas.Error;
    expect(error).toBeDefined();
    for (const { op } of operations(api.doc)) {
      expect([op.operationId, ["400", "401", "403", "404", "405", "500", "503"].every((status) => op.responses[status])]).toEqual([op.operationId, true]);
    }
    const unauthenticated = await fetch(`${gateway.url}/api/mcp/credits/balance`);
    const declared = Object.keys(api.doc.paths["/api/mcp/credits/balance"]!.get!.responses["401"]!.headers!).map((h) => h.toLowerCase());
    expect(declared).toContain("www-authenticate");
    expect(unauthenticated.headers.get("www-authenticate")).toBeTruthy();
    await unauthenticated.arrayBuffer();
  });

  test("passes Redocly's and Spectral's OpenAPI rules without an error", ({ api: { doc } }) => {
    const dir = fs.mkdtempSync(path.join(fs.realpathSync(new URL("../.tmp", import.meta.url).pathname), "openapi-"));
    try {
      const file = path.join(dir, "openapi.json");
      fs.writeFileSync(file, JSON.stringify(doc));
      fs.writeFileSync(path.join(dir, ".spectral.yaml"), 'extends: ["spectral:oas"]\n');
      const bin = (name: string) => fileURLToBin(name);
      const redocly = spawnSync(bin("redocly"), ["lint", file, "--format", "stylish"], { encoding: "utf8", env: { ...process.env, REDOCLY_TELEMETRY: "off", REDOCLY_SUPPRESS_UPDATE_NOTICE: "true" } });
      expect([redocly.status, redocly.stdout + redocly.stderr]).toEqual([0, expect.stringContaining("valid")]);
      const spectral = spawnSync(bin("spectral"), ["lint", file, "--ruleset", path.join(dir, ".spectral.yaml"), "--fail-severity", "warn"], { encoding: "utf8" });
      expect([spectral.status, spectral.stdout + spectral.stderr]).toEqual([0, expect.stringContaining("No results with a severity of 'warn' or higher found!")]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

function fileURLToBin(name: string): string {
  return new URL(`../../node_modules/.bin/${name}`, import.meta.url).pathname;
}
