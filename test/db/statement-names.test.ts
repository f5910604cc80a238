// The hot reads' prepared statements: one name per distinct text, the same name for the same text,
// and none past the bound (a text with values inlined by mistake must not prepare without end).
import { expect, test } from "vitest";
import { statementNames } from "../../src/db/client.js";

test("names each distinct statement text once, and stops naming past the bound", () => {
  const nameOf = statementNames();
  const [a, b] = [nameOf("SELECT 1"), nameOf("SELECT 2")];
  expect(a).toMatch(/^gw\d+$/);
  expect(b).not.toBe(a);
  expect(nameOf("SELECT 1")).toBe(a);
  const names = new Set([a, b]);
  for (let i = 3; i <= 600; i++) names.add(nameOf(`SELECT ${i}`));
  names.delete(undefined);
  expect(names.size).toBe(500);
  expect(nameOf("SELECT 600")).toBeUndefined();
  expect(nameOf("SELECT 2")).toBe(b);
});
