import fs from "node:fs";
import { isEnumType, isInputObjectType, isInterfaceType, isObjectType } from "graphql";
import { describe, expect, it } from "vitest";
import { printSchemaFile } from "../../src/graphql/print.js";
import { schema } from "../../src/graphql/schema/index.js";

const BUILT_IN_SCALARS = new Set(["String", "Int", "Float", "Boolean", "ID"]);

/** Every type, field, argument, input field and enum value of the schema that has no description. */
function undescribed(): string[] {
  const missing: string[] = [];
  const check = (name: string, description: string | null | undefined) => {
    if (!description?.trim()) missing.push(name);
  };
  for (const [name, type] of Object.entries(schema.getTypeMap())) {
    if (name.startsWith("__") || BUILT_IN_SCALARS.has(name)) continue;
    check(name, type.description);
    if (isObjectType(type) || isInterfaceType(type)) {
      for (const field of Object.values(type.getFields())) {
        check(`${name}.${field.name}`, field.description);
        for (const arg of field.args) check(`${name}.${field.name}(${arg.name})`, arg.description);
      }
    } else if (isInputObjectType(type)) {
      for (const field of Object.values(type.getFields())) check(`${name}.${field.name}`, field.description);
    } else if (isEnumType(type)) {
      for (const value of type.getValues()) check(`${name}.${value.name}`, value.description);
    }
  }
  return missing;
}

describe("schema.graphql", () => {
  it("is the printed schema (run `npm run schema:print` after changing src/graphql)", () => {
    expect(fs.readFileSync(new URL("../../schema.graphql", import.meta.url), "utf8")).toBe(printSchemaFile());
  });

  // GraphiQL's docs pane is the API's manual: nothing in it may go unexplained.
  it("describes every type, field, argument, input field and enum value", () => {
    expect(undescribed(), "schema elements without a description").toEqual([]);
  });
});
