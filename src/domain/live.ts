// Live updates (GraphQL subscriptions): a workspace's balance and the usage written to it, told
// after each committed write. Each event is read with the caller's credentials and scopes checked
// again at that moment, as a query would be: a revoked key or a lost scope ends the subscription.
import { Repeater } from "@repeaterjs/repeater";
import type { Workspace } from "../db/generated/client.js";
import type { BillingEvent, RequestContext } from "./context.js";
import { balanceOf, type CreditBalance } from "./ledger.js";
import { workspaceFor, type WorkspaceTarget } from "./workspaces.js";

export interface UsageRecorded {
  workspace: Workspace;
  /** The records the batch accepted, in the batch's order. */
  usageRecordIds: string[];
}

/** The workspace's balance now, then again after every committed write to it. */
export async function balanceChanges(ctx: RequestContext, target: WorkspaceTarget): Promise<AsyncIterable<CreditBalance>> {
  const workspace = await workspaceFor(ctx, target, "read:billing");
  return follow(ctx, workspace.id, { initial: true }, async (now) => balanceOf(now, await workspaceFor(now, { id: workspace.id }, "read:billing")), (event) => event.kind === "balance");
}

/** Each batch of usage records written to the workspace from now on. */
export async function usageRecordings(ctx: RequestContext, target: WorkspaceTarget): Promise<AsyncIterable<UsageRecorded>> {
  const workspace = await workspaceFor(ctx, target, "read:billing");
  return follow(ctx, workspace.id, { initial: false }, async (now, event) => ({
    workspace: await workspaceFor(now, { id: workspace.id }, "read:billing"),
    usageRecordIds: event?.kind === "usage" ? event.usageRecordIds : [],
  }), (event) => event.kind === "usage");
}

/**
 * The workspace's events as values read by `read`, until the subscriber leaves. It listens before
 * the first read, so that no write falls between the two; a repeater, so that leaving ends the
 * listening at once, even while it waits for an event.
 */
function follow<T>(
  ctx: RequestContext,
  workspaceId: string,
  options: { initial: boolean },
  read: (now: RequestContext, event?: BillingEvent) => Promise<T>,
  wanted: (event: BillingEvent) => boolean,
): AsyncIterable<T> {
  return new Repeater<T>(async (push, stop) => {
    const events = ctx.settings.events.subscribe(workspaceId);
    void stop.then(() => events.return?.());
    if (options.initial) await push(read(ctx));
    for await (const event of events) {
      if (wanted(event)) await push(read(await ctx.renewed(), event));
    }
    stop();
  });
}
