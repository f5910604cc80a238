// Live updates (GraphQL subscriptions): a workspace's balance and the usage written to it, told
// after each committed write. Each event is read with the caller's credentials and scopes checked
// again at that moment, as a query would be: a revoked key or a lost scope ends the subscription.
import { Repeater } from "@repeaterjs/repeater";
import type { UsageRecord, Workspace } from "../db/generated/client.js";
import type { BillingEvent, RequestContext } from "./context.js";
import { balanceOf, type CreditBalance } from "./ledger.js";
import { usageRecordsIn } from "./usage.js";
import { workspaceFor, type WorkspaceTarget } from "./workspaces.js";

/** One event's value, and the context it was read with: what the caller may see now. */
export interface Live<T> {
  now: RequestContext;
  value: T;
}

export interface UsageRecorded {
  workspace: Workspace;
  /** The records the batch accepted, in the batch's order. */
  usageRecords: UsageRecord[];
}

/** The workspace's balance now, then again after every committed write to it. */
export async function balanceChanges(ctx: RequestContext, target: WorkspaceTarget): Promise<AsyncIterable<Live<CreditBalance>>> {
  const { id } = await workspaceFor(ctx, target, "read:billing");
  const read = async (now: RequestContext) => balanceOf(now, await workspaceFor(now, { id }, "read:billing"));
  return follow(ctx, id, { initial: true, wanted: (event) => event.kind === "balance" }, read);
}

/** Each batch of usage records written to the workspace from now on. */
export async function usageRecordings(ctx: RequestContext, target: WorkspaceTarget): Promise<AsyncIterable<Live<UsageRecorded>>> {
  const { id } = await workspaceFor(ctx, target, "read:billing");
  return follow(ctx, id, { initial: false, wanted: (event) => event.kind === "usage" }, async (now, event) => {
    const workspace = await workspaceFor(now, { id }, "read:billing");
    const ids = event?.kind === "usage" ? event.usageRecordIds.map(BigInt) : [];
    const found = await usageRecordsIn(now, id, ids);
    return { workspace, usageRecords: ids.flatMap((recordId) => found.get(recordId) ?? []) };
  });
}

/**
 * The workspace's events as values read by `read`, until the subscriber leaves. It listens before
 * the first read, so that no write falls between the two; a repeater, so that leaving ends the
 * listening at once, even while it waits for an event.
 */
function follow<T>(
  ctx: RequestContext,
  workspaceId: string,
  options: { initial: boolean; wanted: (event: BillingEvent) => boolean },
  read: (now: RequestContext, event?: BillingEvent) => Promise<T>,
): AsyncIterable<Live<T>> {
  // The executor runs on the first read of the stream: a stream dropped unread never listens.
  return new Repeater<Live<T>>(async (push, stop) => {
    const events = await ctx.settings.events.subscribe(workspaceId);
    void stop.then(() => events.return?.());
    if (options.initial) await push({ now: ctx, value: await read(ctx) });
    for await (const event of events) {
      if (!options.wanted(event)) continue;
      const now = await ctx.renewed();
      await push({ now, value: await read(now, event) });
    }
    stop();
  });
}
