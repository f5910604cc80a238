import { listApiKeys } from "../../domain/api-keys.js";
import { creditBalance, type CreditBalance } from "../../domain/ledger.js";
import { findWorkspace } from "../../domain/workspaces.js";
import { builder } from "../builder.js";

const CreditExpiryRef = builder.objectRef<{ at: Date; credits: CreditBalance["credits"] }>("CreditExpiry").implement({
  fields: (t) => ({
    at: t.field({ type: "DateTime", resolve: (e) => e.at }),
    credits: t.field({ type: "Decimal", description: "Credits that expire then.", resolve: (e) => e.credits }),
  }),
});

export const CreditBalanceRef = builder.objectRef<CreditBalance>("CreditBalance").implement({
  description: "A workspace's credit balance at the request's now: credits = paidCredits + freeCredits − overdraft owed.",
  fields: (t) => ({
    credits: t.field({ type: "Decimal", resolve: (b) => b.credits }),
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

export const WorkspaceRef = builder.prismaNode("Workspace", {
  id: { field: "id" },
  nullable: true,
  fields: (t) => ({
    slug: t.exposeString("slug"),
    name: t.exposeString("name"),
    timeZone: t.exposeString("timeZone", { description: "IANA time zone of its calendar days and months." }),
    monthlyUsageLimitUsd: t.field({ type: "Decimal", resolve: (w) => w.monthlyLimitUsd }),
    creditPriceUsd: t.field({ type: "Decimal", description: "USD value of one credit.", resolve: (w) => w.creditPriceUsd }),
    allowOverdraft: t.exposeBoolean("allowOverdraft"),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    organization: t.relation("organization"),
    creditBalance: t.field({ type: CreditBalanceRef, nullable: true, resolve: (workspace, _args, ctx) => creditBalance(ctx, workspace) }),
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
    args: { id: t.arg.globalID({ required: false, for: WorkspaceRef }), slug: t.arg.string({ required: false }) },
    resolve: (query, _root, args, ctx) => findWorkspace(ctx, { id: args.id?.id, slug: args.slug }, query),
  }),
);
