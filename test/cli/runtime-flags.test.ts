// The runtime settings of the gateway's process (docs/operations.md, Runtime): the installed
// command's first line and `npm start` give Node the same environment and flags, and neither loses
// one of them. Each was measured on the bench; dropping one changes memory or CPU, not behaviour, so
// no other test would notice.
import fs from "node:fs";
import { describe, expect, test } from "vitest";
import { nodeCommandSettings, npmStartCommand } from "../helpers/cli.js";

const SHEBANG = "#!/usr/bin/env -S ";

describe("the gateway's runtime settings", () => {
  const firstLine = fs.readFileSync(new URL("../../bin/billing-gateway.js", import.meta.url), "utf8").split("\n")[0]!;
  const npmStart = nodeCommandSettings(npmStartCommand());

  test("are the same for the installed command and npm start", () => {
    expect(firstLine.startsWith(SHEBANG)).toBe(true);
    expect(nodeCommandSettings(firstLine.slice(SHEBANG.length))).toEqual(npmStart);
  });

  test("bound the allocator and both generations, keep request objects young, and allow the idle collection", () => {
    expect(npmStart.env).toMatchObject({ MALLOC_ARENA_MAX: "2" });
    expect(npmStart.nodeArgs).toEqual(expect.arrayContaining(["--heap-growing-percent=25", "--max-semi-space-size=8", "--no-allocation-site-pretenuring", "--expose-gc"]));
  });
});
