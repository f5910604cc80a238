// The collection after start-up and after each burst: once, after two checks without a new request;
// never while requests keep arriving, never twice for the same burst, and not at all without Node's
// --expose-gc.
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { exposedCollector, startIdleCollection } from "../../src/http/idle-memory.js";

describe("startIdleCollection", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  test("collects once after start-up, and once after a burst, when two checks in a row saw no new request", () => {
    const collect = vi.fn();
    const idle = startIdleCollection(collect, 5_000);
    vi.advanceTimersByTime(10_000); // start-up counts as a burst: the first check sees it, the second is quiet
    expect(collect).not.toHaveBeenCalled();
    vi.advanceTimersByTime(5_000);
    expect(collect).toHaveBeenCalledTimes(1);
    idle.requestArrived();
    idle.requestArrived();
    vi.advanceTimersByTime(5_000); // the first check sees the burst
    vi.advanceTimersByTime(5_000); // one quiet check
    expect(collect).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(5_000); // two quiet checks
    expect(collect).toHaveBeenCalledTimes(2);
    vi.advanceTimersByTime(60_000); // quiet on: the burst was collected already
    expect(collect).toHaveBeenCalledTimes(2);
    idle.stop();
  });

  test("waits while requests keep arriving, and collects each burst once", () => {
    const collect = vi.fn();
    const idle = startIdleCollection(collect, 5_000);
    for (let i = 0; i < 10; i++) {
      idle.requestArrived();
      vi.advanceTimersByTime(5_000);
    }
    expect(collect).not.toHaveBeenCalled();
    vi.advanceTimersByTime(10_000);
    expect(collect).toHaveBeenCalledTimes(1);
    idle.requestArrived(); // a second burst
    vi.advanceTimersByTime(15_000);
    expect(collect).toHaveBeenCalledTimes(2);
    idle.stop();
  });

  test("collects nothing after stop()", () => {
    const collect = vi.fn();
    const idle = startIdleCollection(collect, 5_000);
    idle.requestArrived();
    idle.stop();
    vi.advanceTimersByTime(60_000);
    expect(collect).not.toHaveBeenCalled();
  });
});

describe("exposedCollector", () => {
  afterEach(() => vi.unstubAllGlobals());

  test("is null without --expose-gc", () => {
    vi.stubGlobal("gc", undefined);
    expect(exposedCollector()).toBeNull();
  });

  test("asks V8 for a synchronous full collection that shrinks the heap", () => {
    const gc = vi.fn();
    vi.stubGlobal("gc", gc);
    exposedCollector()!();
    expect(gc).toHaveBeenCalledWith({ type: "major", execution: "sync", flavor: "last-resort" });
  });
});
