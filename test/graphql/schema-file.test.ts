import fs from "node:fs";
import { describe, expect, it } from "vitest";
import { printSchemaFile } from "../../src/graphql/print.js";

describe("schema.graphql", () => {
  it("is the printed schema (run `npm run schema:print` after changing src/graphql)", () => {
    expect(fs.readFileSync(new URL("../../schema.graphql", import.meta.url), "utf8")).toBe(printSchemaFile());
  });
});
