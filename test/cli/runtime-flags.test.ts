// The runtime settings of the gateway's process (docs/operations.md, Runtime): the installed
// command's first line and `npm start` give Node the same environment and flags, and neither loses
// one of them. Each was measured on the bench; dropping one changes memory or CPU, not behaviour, so
// no other test would notice.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** The words before and after `node` in a command line: its environment and Node's flags. */
function settingsOf(command: string): { env: string[]; flags: string[] } {
  const words = command.trim().split(/\s+/);
  const node = words.indexOf("node");
  return { env: words.slice(0, node), flags: words.slice(node + 1).filter((word) => word.startsWith("--")) };
}

describe("the gateway's runtime settings", () => {
  const shebang = fs.readFileSync(path.join(ROOT, "bin/billing-gateway.js"), "utf8").split("\n")[0]!;
  const npmStart = (JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { scripts: { start: string } }).scripts.start;

  test("are the same for the installed command and npm start", () => {
    expect(shebang.startsWith("#!/usr/bin/env -S ")).toBe(true);
    expect(settingsOf(shebang.slice("#!/usr/bin/env -S ".length))).toEqual(settingsOf(npmStart));
  });

  test("bound the allocator and the old generation, keep request objects young, and allow the idle collection", () => {
    const { env, flags } = settingsOf(npmStart);
    expect(env).toContain("MALLOC_ARENA_MAX=2");
    expect(flags).toEqual(expect.arrayContaining(["--heap-growing-percent=25", "--no-allocation-site-pretenuring", "--expose-gc"]));
  });
});
