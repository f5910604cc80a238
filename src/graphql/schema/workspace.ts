import { listApiKeys } from "../../domain/api-keys.js";
import { creditBalance, type CreditBalance } from "../../domain/ledger.js";
import { findWorkspace } from "../../domain/workspaces.js";
import { builder } from "../builder.js";

const CreditExpiryRef = builder.objectRef<{ at: Date; credits: CreditBalance["credits"] }>("CreditExpiry").implement({
  description: "Credits that expire at one instant.",
  fields: (t) => ({
    at: t.field({ type: "DateTime", description: "When they expire: from then on they no longer count or pay.", resolve: (e) => e.at }),
    credits: t.field({ type: "Decimal", description: "Credits that expire then.", resolve: (e) => e.credits }),
  }),
});

export const CreditBalanceRef = builder.objectRef<CreditBalance>("CreditBalance").implement({
  description: "A workspace's credit balance at the request's now: credits = paidCredits + freeCredits − overdraft owed.",
  fields: (t) => ({
    credits: t.field({
      type: "Decimal",
      description: "Credits that count now (expired ones left out); negative while overdraft is owed.",
      resolve: (b) => b.credits,
    }),
    usdValue: t.field({ type: "Decimal", description: "credits × the workspace's credit price.", resolve: (b) => b.usdValue }),
    asOf: t.field({ type: "DateTime", description: "When the balance was read.", resolve: (b) => b.asOf }),
    paidCredits: t.field({ type: "Decimal", description: "Active credits that were bought (or refunded from bought ones).", resolve: (b) => b.paidCredits }),
    freeCredits: t.field({ type: "Decimal", description: "Active credits that cost nothing: grants, goodwill, refunds of free credits.", resolve: (b) => b.freeCredits }),
    nextExpiry: t.field({
      type: CreditExpiryRef,
      nullable: true,
      description: "The soonest expiry among active lots with credits left; null when none expires.",
      resolve: (b) => b.nextExpiry,
    }),
  }),
});

/** The workspace an input's optional workspaceId names; null: the caller's own. */
export const workspaceTarget = (id: { id: string } | null | undefined) => ({ id: id?.id ?? null });

export const WorkspaceRef = builder.prismaNode("Workspace", {
  id: { field: "id" },
  nullable: true,
  description:
    "A workspace (a space): it holds a credit ledger, usage, executions and API keys. Fields that need a scope the caller lacks in it are null, each with a FORBIDDEN error.",
  fields: (t) => ({
    workspaceId: t.exposeString("id", { description: "Its UUID, as the REST routes (workspaceId, /api/v1/metrics/spaces/<id>) and the dashboard's URLs name it." }),
    slug: t.exposeString("slug", { description: "Unique short name; workspace(slug:) finds it." }),
    name: t.exposeString("name", { description: "Display name." }),
    timeZone: t.exposeString("timeZone", { description: "IANA time zone of its calendar days and months." }),
    monthlyUsageLimitUsd: t.field({
      type: "Decimal",
      description: "Execution cost in USD included per calendar month (in timeZone); executions past it are ON_DEMAND. Set by setUsageLimit.",
      resolve: (w) => w.monthlyLimitUsd,
    }),
    creditPriceUsd: t.field({ type: "Decimal", description: "USD value of one credit.", resolve: (w) => w.creditPriceUsd }),
    allowOverdraft: t.exposeBoolean("allowOverdraft", {
      description: "Whether debits may take the balance below zero; what is owed is settled by the next credits the workspace receives.",
    }),
    createdAt: t.expose("createdAt", { type: "DateTime", description: "When the workspace was created." }),
    organization: t.relation("organization", { description: "The organization the workspace belongs to." }),
    creditBalance: t.field({
      type: CreditBalanceRef,
      nullable: true,
      description: "The credit balance at the request's now (read:billing).",
      resolve: (workspace, _args, ctx) => creditBalance(ctx, workspace),
    }),
    apiKeys: t.prismaField({
      type: ["ApiKey"],
      nullable: true,
      description: "The workspace's API keys (admin only; null with a FORBIDDEN error for other callers, who keep the rest of the workspace). Secrets are never shown again.",
      resolve: (query, workspace, _args, ctx) => listApiKeys(ctx, workspace, query),
    }),
  }),
});

builder.queryField("workspace", (t) =>
  t.prismaField({
    type: "Workspace",
    nullable: true,
    description: "A workspace by id or slug; with no argument, the API key's workspace (or the session's).",
    args: {
      id: t.arg.globalID({ required: false, for: WorkspaceRef, description: "The workspace's global id; not with slug." }),
      slug: t.arg.string({ required: false, description: "The workspace's slug; not with id." }),
    },
    resolve: (query, _root, args, ctx) => findWorkspace(ctx, { id: args.id?.id, slug: args.slug }, query),
  }),
);
