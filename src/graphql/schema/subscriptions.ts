// Live updates over Server-Sent Events (yoga's GraphQL over SSE): a workspace's balance and the
// usage written to it, with the caller's scopes checked as for queries (src/domain/live.ts).
import { balanceChanges, usageRecordings, type Live, type UsageRecorded } from "../../domain/live.js";
import { builder } from "../builder.js";
import type { GraphQLContext } from "../context.js";
import { createLoaders } from "../loaders.js";
import { UsageRecordRef } from "./usage-record.js";
import { CreditBalanceRef, WorkspaceRef } from "./workspace.js";

builder.subscriptionType({
  description: "Live updates, sent as Server-Sent Events (POST or GET /graphql with Accept: text/event-stream). Each needs read:billing in the workspace, checked again before every event; with REDIS_URL set, writes made through any gateway process are heard.",
});

const UsageRecordedRef = builder.objectRef<UsageRecorded>("UsageRecordedEvent").implement({
  description: "One batch of usage records written to a workspace (recordUsage or POST /api/v1/events).",
  fields: (t) => ({
    workspace: t.field({ type: WorkspaceRef, description: "The workspace written to.", resolve: (event) => event.workspace }),
    usageRecords: t.field({
      type: [UsageRecordRef],
      description: "The records the batch accepted, in the batch's order (duplicates and rejected records are not written).",
      resolve: (event) => event.usageRecords,
    }),
  }),
});

/**
 * An event's value, its fields resolved as the caller is at that event: the subscription's one
 * context takes the renewed access, clock and loaders (events of a stream resolve one at a time).
 */
function asOfEvent<T>(ctx: GraphQLContext, event: Live<T>): T {
  if (event.now !== ctx) Object.assign(ctx, event.now, { loaders: createLoaders(event.now) });
  return event.value;
}

const workspaceArg = builder.args((t) => ({
  workspaceId: t.globalID({ for: WorkspaceRef, required: false, description: "The workspace; by default the caller's (the key's, or the one the session names)." }),
}));

builder.subscriptionFields((t) => ({
  creditBalanceChanged: t.field({
    type: CreditBalanceRef,
    description: "The workspace's credit balance at once, then again after every committed write to its ledger (usage, grants, purchases, refunds, expirations).",
    args: workspaceArg,
    subscribe: (_root, args, ctx) => balanceChanges(ctx, { id: args.workspaceId?.id }),
    resolve: (event, _args, ctx) => asOfEvent(ctx, event),
  }),
  usageRecorded: t.field({
    type: UsageRecordedRef,
    description: "Each batch of usage records written to the workspace from now on.",
    args: workspaceArg,
    subscribe: (_root, args, ctx) => usageRecordings(ctx, { id: args.workspaceId?.id }),
    resolve: (event, _args, ctx) => asOfEvent(ctx, event),
  }),
}));
