import { describe, expect, it } from "vitest";
import { loadConfig } from "../src/config/config.js";

describe("configuration", () => {
  it("has working defaults: embedded database in ./.data on port 4000", () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ PORT: 4000, DATA_DIR: "./.data", DB_POOL_SIZE: 10, SEED_DEMO: true });
    expect(config.DATABASE_URL).toBeUndefined();
    expect(config.FOCUS_PROVIDER_NAME).toBe("Billing Gateway");
  });

  it.each([
    [{ PORT: "abc" }, /^Invalid configuration: PORT .*\(got "abc"\)$/],
    [{ PORT: "70000" }, /^Invalid configuration: PORT /],
    [{ DATABASE_URL: "mysql://localhost/db" }, /^Invalid configuration: DATABASE_URL must be a postgres/],
    [{ DATABASE_URL: "not a url" }, /^Invalid configuration: DATABASE_URL /],
    [{ DB_STATEMENT_TIMEOUT_MS: "-1" }, /^Invalid configuration: DB_STATEMENT_TIMEOUT_MS /],
    [{ JWT_SECRET: "short" }, /^Invalid configuration: JWT_SECRET must be at least 32 characters$/],
    [{ LOG_LEVEL: "loud" }, /^Invalid configuration: LOG_LEVEL /],
    [{ SEED_DEMO: "maybe" }, /^Invalid configuration: SEED_DEMO /],
    [{ FOCUS_PROVIDER_NAME: "Acme\nCloud" }, /^Invalid configuration: FOCUS_PROVIDER_NAME must not contain control characters/],
    [{ FOCUS_PROVIDER_NAME: "x".repeat(201) }, /^Invalid configuration: FOCUS_PROVIDER_NAME /],
  ])("rejects %o with one line naming the variable", (env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });

  it("never echoes secrets in its messages", () => {
    expect(() => loadConfig({ JWT_SECRET: "hunter2" })).toThrow(/^(?!.*hunter2).*$/);
    expect(() => loadConfig({ DATABASE_URL: "mysql://u:topsecret@h/d" })).toThrow(/^(?!.*topsecret).*$/);
  });
});
