// The process's billing events: a subscriber that does not read loses its oldest events rather
// than failing the publisher, and leaving ends a pending read at once.
import { describe, expect, it } from "vitest";
import { createLogger } from "../../src/config/logger.js";
import { createBillingEvents } from "../../src/http/billing-events.js";

const events = () => createBillingEvents({ keyPrefix: "test", logger: createLogger("silent") });

describe("billing events in one process", () => {
  it("keep a slow subscriber's latest 256 events and never fail the publisher", async () => {
    const bus = events();
    const subscription = await bus.subscribe("w1");
    const other = await bus.subscribe("w2");
    for (let i = 0; i < 2_000; i++) bus.publish({ kind: "usage", workspaceId: "w1", usageRecordIds: [String(i)] });
    const first = await subscription.next();
    expect(first.value).toEqual({ kind: "usage", workspaceId: "w1", usageRecordIds: ["1744"] });
    await subscription.return!();
    // Another workspace's subscriber heard nothing of it.
    bus.publish({ kind: "balance", workspaceId: "w2" });
    expect((await other.next()).value).toEqual({ kind: "balance", workspaceId: "w2" });
    await bus.close();
  });

  it("end a read that waits when the subscriber leaves", async () => {
    const bus = events();
    const subscription = await bus.subscribe("w1");
    const waiting = subscription.next();
    await subscription.return!();
    expect(await waiting).toEqual({ value: undefined, done: true });
    bus.publish({ kind: "balance", workspaceId: "w1" }); // no listener left: nothing queues
    expect(await subscription.next()).toEqual({ value: undefined, done: true });
  });
});
