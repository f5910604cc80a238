// /openapi.json against the routes: the same paths and methods, every documented enum or integer
// parameter validated by its route, and real responses matching the documented schemas.
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiKey } from "../../src/domain/api-keys.js";
import { REST_ROUTES } from "../../src/rest/routes.js";
import { seedDemo } from "../../src/seed/demo.js";
import { createTestDatabase, type TestDatabase } from "../helpers/database.js";
import { bearer, startGateway, type TestGateway } from "../helpers/gateway.js";

interface Parameter { name: string; in: string; required?: boolean; schema: { enum?: string[]; type?: string; minimum?: number; maximum?: number } }
interface Operation { operationId: string; parameters?: Parameter[]; responses: Record<string, { content?: Record<string, { schema: object }> }> }
type Document = { openapi: string; paths: Record<string, Record<string, Operation>> };

describe("OpenAPI document", () => {
  let t: TestDatabase;
  let gateway: TestGateway;
  let doc: Document;
  let keys: { workspace: string; org: string };
  let workspaceId: string;

  beforeAll(async () => {
    t = await createTestDatabase();
    const demo = await seedDemo(t.db, { now: new Date(), days: 10, usageRecords: 500 });
    workspaceId = demo.workspaces.find((w) => w.slug === "acme-prod")!.id;
    const org = await t.db.prisma.organization.findUniqueOrThrow({ where: { slug: "acme" } });
    keys = { workspace: demo.demoApiKey, org: (await createApiKey(t.db.prisma, "operator", { name: "o", scopes: ["read:billing"], organizationId: org.id })).secret };
    gateway = await startGateway(t.db);
    doc = (await (await fetch(`${gateway.url}/openapi.json`)).json()) as Document;
  });
  afterAll(async () => {
    await gateway.close();
    await t.drop();
  });

  const operations = () =>
    Object.entries(doc.paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => ({ path, method: method.toUpperCase(), op })));
  const keyFor = (path: string) => (path.includes("/metrics/organization") ? keys.org : keys.workspace);
  const urlFor = (path: string, query: Record<string, string>) => {
    const concrete = path.replace("{spaceId}", workspaceId);
    const needsDates = path.includes("/metrics/");
    const needsRange = path.includes("/focus-");
    const params = new URLSearchParams({
      ...(needsDates ? { startDate: "2026-11-01", endDate: "2026-11-07" } : {}),
      ...(needsRange ? { from: String(Date.now() - 7 * 86_400_000), to: String(Date.now()) } : {}),
      ...query,
    });
    return `${gateway.url}${concrete}?${params}`;
  };
  const call = async (method: string, path: string, query: Record<string, string> = {}) => {
    const body = method === "POST" ? JSON.stringify([{ idempotencyKey: `openapi-${Math.random()}`, sku: "storage-gb-hours", units: "1" }]) : undefined;
    return fetch(urlFor(path, query), { method, body, headers: { ...bearer(keyFor(path)), "content-type": "application/json" } });
  };

  it("is OpenAPI 3.1 and lists exactly the routes the gateway serves", () => {
    expect(doc.openapi).toBe("3.1.0");
    const documented = operations().map(({ method, path }) => `${method} ${path}`).sort();
    const served = REST_ROUTES.map((r) => `${r.method} ${r.path.replace(/:(\w+)/g, "{$1}")}`).sort();
    expect(documented).toEqual(served);
  });

  it("documents parameters that the routes validate", async () => {
    let checked = 0;
    for (const { method, path, op } of operations()) {
      for (const parameter of op.parameters ?? []) {
        if (parameter.in !== "query" || (!parameter.schema.enum && parameter.schema.type !== "integer")) continue;
        const bad = parameter.schema.enum ? "not-a-documented-value" : String((parameter.schema.maximum ?? 1_000_000_000) + 1);
        const response = await call(method, path, { [parameter.name]: bad });
        const body = (await response.json()) as { error?: { param?: string } };
        expect([op.operationId, parameter.name, response.status >= 400 && response.status < 500]).toEqual([op.operationId, parameter.name, true]);
        if (response.status === 400) expect([op.operationId, body.error?.param]).toEqual([op.operationId, parameter.name]);
        // The documented bounds and values themselves are accepted.
        const good = parameter.schema.enum ? parameter.schema.enum.filter((v) => v !== "custom") : [parameter.schema.maximum, parameter.schema.minimum].filter((v) => v !== undefined).map(String);
        for (const value of good) {
          const ok = await call(method, path, { [parameter.name]: value });
          expect([op.operationId, parameter.name, value, ok.status]).toEqual([op.operationId, parameter.name, value, 200]);
        }
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(10);
  });

  it("describes the JSON that the routes answer", async () => {
    const ajv = new Ajv2020.default({ strict: false, allErrors: true });
    addFormats.default(ajv);
    let validated = 0;
    for (const { method, path, op } of operations()) {
      const schema = op.responses["200"]?.content?.["application/json"]?.schema;
      if (!schema) continue;
      const response = await call(method, path);
      expect([op.operationId, response.status]).toEqual([op.operationId, 200]);
      const body = await response.json();
      const validate = ajv.compile(schema);
      expect([op.operationId, validate(body) ? "valid" : ajv.errorsText(validate.errors)]).toEqual([op.operationId, "valid"]);
      validated++;
    }
    expect(validated).toBe(11);
  });
});
