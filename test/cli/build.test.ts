// The compiled gateway follows its sources: built once, left alone while they are unchanged, and
// rebuilt before the next start when one changes.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
// @ts-expect-error: a plain .mjs script without type declarations
import { buildIfStale } from "../../scripts/build.mjs";

describe("the compiled gateway", () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "build-test-"));
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
  const source = (name: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(root, "src", name)), { recursive: true });
    fs.writeFileSync(path.join(root, "src", name), text);
  };
  const built = (name: string) => fs.readFileSync(path.join(root, "build", name), "utf8");

  it("is rebuilt when a source changes, and only then", async () => {
    source("cli/main.ts", `import { base } from "../lib/base.js";\nexport const answer: number = base + 1;\n`);
    source("lib/base.ts", "export const base: number = 41;\n");
    const entry = (await buildIfStale(root)) as string;
    expect(entry).toBe(path.join(root, "build", "cli", "main.js"));
    expect(((await import(pathToFileURL(entry).href)) as { answer: number }).answer).toBe(42);

    const stampTime = fs.statSync(path.join(root, "build", ".sources")).mtimeMs;
    await buildIfStale(root);
    expect(fs.statSync(path.join(root, "build", ".sources")).mtimeMs).toBe(stampTime); // unchanged sources: no rebuild

    source("lib/base.ts", "export const base: number = 99;\n");
    fs.utimesSync(path.join(root, "src", "lib", "base.ts"), new Date(), new Date(Date.now() + 5_000)); // a later change time
    await buildIfStale(root);
    expect(built("lib/base.js")).toContain("99");
    expect(built("lib/base.js")).not.toContain("41");
    expect(fs.readdirSync(root).sort()).toEqual(["build", "src"]); // no half-built folders left behind
  });
});
