// The per-workspace write queue: one write at a time per workspace (two where the second allows it), others in parallel; refusals
// with OVERLOADED and a Retry-After when the queue is full or a write has waited too long; a refused
// write never runs.
import { AsyncLocalStorage } from "node:async_hooks";
import { describe, expect, test } from "vitest";
import { UnavailableError } from "../../src/domain/errors.js";
import { WorkspaceWriteQueue } from "../../src/domain/write-queue.js";

/** A write that runs until released, recording when it started. */
function gate(log: string[], name: string) {
  let release!: () => void;
  const done = new Promise<void>((resolve) => (release = resolve));
  return { work: async () => { log.push(`start ${name}`); await done; log.push(`end ${name}`); return name; }, release };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe("the workspace write queue", () => {
  test("runs one write per workspace at a time, in arrival order, and other workspaces' at once", async () => {
    const queue = new WorkspaceWriteQueue({ maxWaitMs: 10_000, maxDepth: 10 });
    const log: string[] = [];
    const [a1, a2, b1] = [gate(log, "a1"), gate(log, "a2"), gate(log, "b1")];
    const results = [queue.run("a", a1.work), queue.run("a", a2.work), queue.run("b", b1.work)];
    await settle();
    expect(log).toEqual(["start a1", "start b1"]);
    expect(queue.waiting).toBe(1);
    a1.release();
    await settle();
    expect(log).toEqual(["start a1", "start b1", "end a1", "start a2"]);
    a2.release();
    b1.release();
    expect(await Promise.all(results)).toEqual(["a1", "a2", "b1"]);
    expect(queue.waiting).toBe(0);
  });

  test("runs a write allowed beside another at once, and one that is not only when the workspace has none under way", async () => {
    const queue = new WorkspaceWriteQueue({ maxWaitMs: 10_000, maxDepth: 10 });
    const log: string[] = [];
    const [a1, a2, a3, a4] = [gate(log, "a1"), gate(log, "a2"), gate(log, "a3"), gate(log, "a4")];
    // a1 and a2 may run beside one other write; a3 may not; a4 may, but arrives behind a3.
    const results = [queue.run("a", a1.work, 2), queue.run("a", a2.work, 2), queue.run("a", a3.work), queue.run("a", a4.work, 2)];
    await settle();
    expect(log).toEqual(["start a1", "start a2"]);
    expect(queue.waiting).toBe(2);
    a2.release();
    await settle();
    expect(log).toEqual(["start a1", "start a2", "end a2"]); // a3 waits for a1 too
    a1.release();
    await settle();
    expect(log).toEqual(["start a1", "start a2", "end a2", "end a1", "start a3", "start a4"]);
    a3.release();
    a4.release();
    expect(await Promise.all(results)).toEqual(["a1", "a2", "a3", "a4"]);
    expect(queue.waiting).toBe(0);
    // The lane is gone once empty: a later write starts at once.
    expect(await queue.run("a", async () => "again")).toBe("again");
  });

  test("refuses a write at once when the workspace's queue is full, with OVERLOADED and Retry-After", async () => {
    const queue = new WorkspaceWriteQueue({ maxWaitMs: 10_000, maxDepth: 2 });
    const log: string[] = [];
    const first = gate(log, "1");
    const running = [queue.run("a", first.work), queue.run("a", async () => "2"), queue.run("a", async () => "3")];
    const refused = await queue.run("a", async () => "4").catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(UnavailableError);
    expect(refused).toMatchObject({ code: "OVERLOADED", status: 503 });
    expect((refused as UnavailableError).retryAfterSeconds).toBeGreaterThanOrEqual(1);
    first.release();
    expect(await Promise.all(running)).toEqual(["1", "2", "3"]);
  });

  test("refuses a write that waited longer than its limit, which then never runs; the queue goes on", async () => {
    const queue = new WorkspaceWriteQueue({ maxWaitMs: 50, maxDepth: 10 });
    const log: string[] = [];
    const slow = gate(log, "slow");
    const running = queue.run("a", slow.work);
    const late = queue.run("a", async () => void log.push("late ran"));
    await expect(late).rejects.toMatchObject({ code: "OVERLOADED" });
    slow.release();
    await running;
    expect(await queue.run("a", async () => "next")).toBe("next");
    expect(log).not.toContain("late ran");
  });

  test("a failed write does not hold up the next", async () => {
    const queue = new WorkspaceWriteQueue({ maxWaitMs: 1_000, maxDepth: 10 });
    const failing = queue.run("a", async () => {
      throw new Error("boom");
    });
    const next = queue.run("a", async () => "ran");
    await expect(failing).rejects.toThrow("boom");
    expect(await next).toBe("ran");
  });

  test("tells each write what its time in the queue left of the limit", async () => {
    const queue = new WorkspaceWriteQueue({ maxWaitMs: 1_000, maxDepth: 10 });
    const log: string[] = [];
    const first = gate(log, "first");
    const budgets: number[] = [];
    const running = queue.run("a", (remainingMs) => (budgets.push(remainingMs), first.work()));
    const queued = queue.run("a", async (remainingMs) => void budgets.push(remainingMs));
    await new Promise((resolve) => setTimeout(resolve, 200));
    first.release();
    await Promise.all([running, queued]);
    expect(budgets[0]).toBe(1_000);
    expect(budgets[1]).toBeLessThan(850); // 1,000 less about 200 ms in the queue (timers fire a little early or late)
    expect(budgets[1]).toBeGreaterThan(0);
  });

  test("a queued write runs in its own request's async context, not in the one that ran before it", async () => {
    const queue = new WorkspaceWriteQueue({ maxWaitMs: 1_000, maxDepth: 10 });
    const scope = new AsyncLocalStorage<string>();
    const log: string[] = [];
    const first = gate(log, "first");
    const seen: (string | undefined)[] = [];
    const running = scope.run("request-1", () => queue.run("a", async () => (seen.push(scope.getStore()), first.work())));
    const queued = scope.run("request-2", () => queue.run("a", async () => void seen.push(scope.getStore())));
    await settle();
    first.release();
    await Promise.all([running, queued]);
    expect(seen).toEqual(["request-1", "request-2"]);
  });
});
