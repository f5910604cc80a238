// Vitest fixtures instead of copied set-up blocks: each test file gets its own database, a gateway
// in front of it on the file's test clock, and on request two tenants or the demo data.
import { test as base } from "vitest";
import type { DemoOptions } from "../../src/seed/demo.js";
import { seedDemo } from "../../src/seed/demo.js";
import { hourOf, TestClock } from "./clock.js";
import { createPostgresDatabase, createTestDatabase, emptyDatabase } from "./database.js";
import { startGateway } from "./gateway.js";
import { createTenant } from "./tenants.js";

export interface GatewayTestOptions {
  /** Where the file's clock starts; by default the process's now (so faketime moves it too). */
  now?: Date;
  env?: Record<string, string>;
  /** Demo size and seed; the demo ends at the start of the clock's hour. */
  demo?: Partial<Omit<DemoOptions, "now">>;
}

/** A test API with a migrated database of its own and a clock, for the whole file. */
export function databaseTest(options: Pick<GatewayTestOptions, "now"> = {}) {
  return base
    .extend("clock", { scope: "file" }, () => new TestClock(options.now))
    .extend("database", { scope: "file" }, async ({}, { onCleanup }) => {
      const database = await createTestDatabase();
      onCleanup(() => database.drop());
      return database;
    })
    .extend("db", { scope: "file" }, ({ database }) => database.db);
}

/** The same, with a gateway in front of the database, its logs, and on request tenants or the demo. */
export function gatewayTest(options: GatewayTestOptions = {}) {
  return databaseTest(options)
    .extend("logs", { scope: "file" }, () => [] as string[])
    .extend("gateway", { scope: "file" }, async ({ db, clock, logs }, { onCleanup }) => {
      const gateway = await startGateway(db, { clock, env: options.env, logs: { write: (line) => void logs.push(line) } });
      onCleanup(() => gateway.close());
      return gateway;
    })
    .extend("tenants", { scope: "file" }, async ({ db }) => ({ acme: await createTenant(db, "acme"), globex: await createTenant(db, "globex") }))
    .extend("demo", { scope: "file" }, ({ db, clock }) => seedDemo(db, { now: hourOf(clock), ...options.demo }))
    // The demo's main workspace and its admin key.
    .extend("acmeProd", { scope: "file" }, ({ demo }) => ({ key: demo.demoApiKey, workspaceId: demo.workspaces.find((w) => w.slug === "acme-prod")!.id }));
}

/** The same, plus an empty PostgreSQL database of the file's own, for gateways run as `serve` processes. */
export function processesTest(options: GatewayTestOptions = {}) {
  return gatewayTest(options).extend("postgres", { scope: "file" }, async ({}, { onCleanup }) => {
    const database = await createPostgresDatabase();
    onCleanup(() => database.drop());
    return database;
  });
}

/** One empty, unmigrated database for the file (migration tests); its tests build on each other's migrations. */
export const emptyDatabaseTest = () =>
  base.extend("db", { scope: "file" }, async ({}, { onCleanup }) => {
    const database = await emptyDatabase();
    onCleanup(() => database.drop());
    return database.open();
  });
