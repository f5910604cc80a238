// The timer mechanism both background jobs share: one pass at a time, a failed pass logged and left
// to the next, and a stop that waits for the pass under way and ends the timer's passes.
import { describe, expect, it } from "vitest";
import { createLogger } from "../../src/config/logger.js";
import { periodicJob } from "../../src/jobs/periodic.js";

function logLines() {
  const lines: string[] = [];
  return { lines, logger: createLogger("info", { write: (line: string) => void lines.push(line) }) };
}

describe("periodic jobs", () => {
  it("run one pass at a time, and a failed pass is logged, counts 0 and leaves the next to run", async () => {
    const { lines, logger } = logLines();
    let calls = 0;
    let release!: () => void;
    const job = periodicJob({ intervalMs: 0, logger, name: "test" }, async () => {
      calls++;
      if (calls === 1) throw new Error("database away");
      await new Promise<void>((resolve) => (release = resolve));
      return 7;
    });
    expect(await job.runOnce()).toBe(0);
    expect(lines.map((line) => JSON.parse(line) as { msg: string; err: string })).toMatchObject([{ msg: "test pass failed; the next pass retries", err: "database away" }]);

    const first = job.runOnce();
    const overlapping = job.runOnce();
    expect(overlapping).toBe(first);
    await new Promise((resolve) => setImmediate(resolve));
    release();
    expect(await first).toBe(7);
    expect(calls).toBe(2);
  });

  it("kick runs a pass off the caller's stack when there is a timer, and not without one", async () => {
    const { logger } = logLines();
    const counts = { timed: 0, untimed: 0 };
    const timed = periodicJob({ intervalMs: 3_600_000, logger, name: "test" }, async () => ++counts.timed);
    const untimed = periodicJob({ intervalMs: 0, logger, name: "test" }, async () => ++counts.untimed);
    timed.kick();
    untimed.kick();
    expect(counts.timed).toBe(0);
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    expect(counts).toEqual({ timed: 1, untimed: 0 });
    await timed.stop();
  });

  it("stop waits for the pass under way, tells the pass it is stopping, and ends kicks", async () => {
    const { logger } = logLines();
    let release!: () => void;
    let sawStopping = false;
    let calls = 0;
    const job = periodicJob({ intervalMs: 3_600_000, logger, name: "test" }, async () => {
      calls++;
      await new Promise<void>((resolve) => (release = resolve));
      sawStopping = job.stopping;
      return 1;
    });
    const pass = job.runOnce();
    await new Promise((resolve) => setImmediate(resolve));
    let stopped = false;
    const stopping = job.stop().then(() => (stopped = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(stopped).toBe(false);
    release();
    await stopping;
    expect(await pass).toBe(1);
    expect(sawStopping).toBe(true);
    job.kick();
    await new Promise((resolve) => setImmediate(resolve));
    expect(calls).toBe(1);
  });
});
