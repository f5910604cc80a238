// The admission of API requests: a few at once, the others in arrival order; a request running
// past its slow limit lets the next start beside it; refusals with OVERLOADED and a Retry-After
// when the queue is full or a wait too long, and a refused request never runs. The same rules
// over HTTP, in both error shapes, are in admission-http.test.ts.
import { AsyncLocalStorage } from "node:async_hooks";
import { describe, expect, test, vi } from "vitest";
import { AdmissionRefused, RequestAdmission, type AdmissionLimits } from "../../src/http/admission.js";

/** Work that runs until released, recording when it started and ended. */
function gate(log: string[], name: string) {
  let release!: () => void;
  const done = new Promise<void>((resolve) => (release = resolve));
  return { work: async () => { log.push(`start ${name}`); await done; log.push(`end ${name}`); return name; }, release };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));
const admission = (limits: Partial<AdmissionLimits>) => new RequestAdmission({ atOnce: 2, maxWaitMs: 10_000, maxDepth: 10, slowMs: 60_000, ...limits });

describe("the admission of API requests", () => {
  test("works on atOnce requests at a time; the others start in arrival order as places free", async () => {
    const queue = admission({ atOnce: 2 });
    const log: string[] = [];
    const gates = ["1", "2", "3", "4"].map((name) => gate(log, name));
    const results = gates.map((g) => queue.run(g.work));
    await settle();
    expect(log).toEqual(["start 1", "start 2"]);
    expect(queue.queued).toBe(2);
    gates[1]!.release();
    await settle();
    expect(log).toEqual(["start 1", "start 2", "end 2", "start 3"]);
    gates[0]!.release();
    await settle();
    expect(log.slice(4)).toEqual(["end 1", "start 4"]);
    gates[2]!.release();
    gates[3]!.release();
    expect(await Promise.all(results)).toEqual(["1", "2", "3", "4"]);
    expect(queue.queued).toBe(0);
    expect(await queue.run(async () => "at once")).toBe("at once");
  });

  test("a request still running after slowMs lets the next start beside it, and gives no place back twice", async () => {
    // The clock of timers only: slowMs passes when the test says, however slow the machine.
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    try {
      const queue = admission({ atOnce: 1, slowMs: 30 });
      const log: string[] = [];
      const [slow, second, third] = [gate(log, "slow"), gate(log, "second"), gate(log, "third")];
      const results = [queue.run(slow.work), queue.run(second.work), queue.run(third.work)];
      await settle();
      vi.advanceTimersByTime(29);
      await settle();
      expect(log).toEqual(["start slow"]);
      vi.advanceTimersByTime(1);
      await settle();
      expect(log).toEqual(["start slow", "start second"]);
      // The slow request ending does not free a second place: the third waits for the second.
      slow.release();
      await settle();
      expect(log).toEqual(["start slow", "start second", "end slow"]);
      second.release();
      await settle();
      expect(log.slice(3)).toEqual(["end second", "start third"]);
      third.release();
      expect(await Promise.all(results)).toEqual(["slow", "second", "third"]);
    } finally {
      vi.useRealTimers();
    }
  });

  test("a request may give its place back early, once: the next starts, and its end frees no other place", async () => {
    const queue = admission({ atOnce: 1 });
    const log: string[] = [];
    const [streaming, second, third] = [gate(log, "streaming"), gate(log, "second"), gate(log, "third")];
    const results = [
      queue.run((release) => { release(); release(); return streaming.work(); }),
      queue.run(second.work),
      queue.run(third.work),
    ];
    await settle();
    expect(log).toEqual(["start streaming", "start second"]);
    streaming.release();
    await settle();
    expect(log).toEqual(["start streaming", "start second", "end streaming"]);
    second.release();
    await settle();
    expect(log.slice(3)).toEqual(["end second", "start third"]);
    third.release();
    expect(await Promise.all(results)).toEqual(["streaming", "second", "third"]);
  });

  test("refuses a request at once when maxDepth are waiting, with OVERLOADED and Retry-After; it never runs", async () => {
    const queue = admission({ atOnce: 1, maxDepth: 2 });
    const log: string[] = [];
    const first = gate(log, "1");
    const running = [queue.run(first.work), queue.run(async () => "2"), queue.run(async () => "3")];
    const refused = await queue.run(async () => void log.push("4 ran")).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(AdmissionRefused);
    expect(refused).toMatchObject({ code: "OVERLOADED", status: 503 });
    expect((refused as AdmissionRefused).retryAfterSeconds).toBeGreaterThanOrEqual(1);
    first.release();
    expect(await Promise.all(running)).toEqual(["1", "2", "3"]);
    expect(log).not.toContain("4 ran");
  });

  test("refuses a request that waited longer than maxWaitMs, which then never runs; the queue goes on", async () => {
    const queue = admission({ atOnce: 1, maxWaitMs: 50 });
    const log: string[] = [];
    const busy = gate(log, "busy");
    const running = queue.run(busy.work);
    const late = queue.run(async () => void log.push("late ran"));
    await expect(late).rejects.toBeInstanceOf(AdmissionRefused);
    expect(queue.queued).toBe(0);
    busy.release();
    await running;
    expect(await queue.run(async () => "next")).toBe("next");
    expect(log).not.toContain("late ran");
  });

  test("a request that fails gives its place to the next, and its own error is not a refusal", async () => {
    const queue = admission({ atOnce: 1 });
    const failing = queue.run(async () => {
      throw new Error("boom");
    });
    const next = queue.run(async () => "ran");
    await expect(failing).rejects.toThrow("boom");
    await expect(failing).rejects.not.toBeInstanceOf(AdmissionRefused);
    expect(await next).toBe("ran");
  });

  test("a queued request runs in its own async context, not in the one of the request that made room", async () => {
    const queue = admission({ atOnce: 1 });
    const scope = new AsyncLocalStorage<string>();
    const log: string[] = [];
    const first = gate(log, "first");
    const seen: (string | undefined)[] = [];
    const running = scope.run("request-1", () => queue.run(async () => (seen.push(scope.getStore()), first.work())));
    const queued = scope.run("request-2", () => queue.run(async () => void seen.push(scope.getStore())));
    await settle();
    first.release();
    await Promise.all([running, queued]);
    expect(seen).toEqual(["request-1", "request-2"]);
  });
});
