import { lotState, usableCredits } from "../../domain/credit-lots.js";
import { creditLotsConnection } from "../../domain/ledger.js";
import { quotient } from "../../domain/rules/numbers.js";
import { builder } from "../builder.js";
import { TOTAL_COUNT, totalCount } from "./connections.js";
import { CreditLotSourceEnum, CreditLotStateEnum } from "./enums.js";

export const CreditLotRef = builder.prismaNode("CreditLot", {
  id: { field: "id" },
  nullable: true,
  description: "Credits that one ledger row added, drawn down by priority (lower first), then soonest expiry (none last), then oldest.",
  fields: (t) => ({
    source: t.field({ type: CreditLotSourceEnum, description: "What created the lot.", resolve: (lot) => lot.source }),
    priority: t.exposeInt("priority", { description: "1–100; lower is drawn first." }),
    originalCredits: t.field({ type: "Decimal", description: "Credits the lot started with.", resolve: (lot) => lot.originalCredits }),
    remainingCredits: t.field({
      type: "Decimal",
      description: "Credits the lot can still give: 0 once it has expired, whether or not its EXPIRATION row is posted yet.",
      resolve: (lot, _args, ctx) => usableCredits(lot, ctx.clock.now()),
    }),
    unitCostUsd: t.field({
      type: "Decimal",
      description: "What one credit of the lot cost, to 12 places: money paid ÷ credits for a purchase; 0 for free credits.",
      resolve: (lot) => quotient(lot.originalCostUsd, lot.originalCredits, 12),
    }),
    expiresAt: t.expose("expiresAt", {
      type: "DateTime",
      nullable: true,
      description: "From this instant on, its credits no longer count or pay; null: they do not expire.",
    }),
    state: t.field({ type: CreditLotStateEnum, description: "At the request's now.", resolve: (lot, _args, ctx) => lotState(lot, ctx.clock.now()) }),
    createdAt: t.expose("createdAt", { type: "DateTime", description: "When the lot was created: when its ledger row was posted." }),
    transaction: t.relation("transaction", { description: "The ledger row that created the lot." }),
  }),
});

builder.prismaObject("CreditAllocation", {
  description: "Credits a lot gave to a debit or an expiration, and what they had cost.",
  fields: (t) => ({
    lot: t.field({
      type: CreditLotRef,
      nullable: true,
      description: "Null for overdraft still owed; the next lots the workspace receives settle it.",
      resolve: (a, _args, ctx) => (a.lotId === null ? null : ctx.loaders.creditLot.load({ workspaceId: a.workspaceId, id: a.lotId })),
    }),
    credits: t.field({ type: "Decimal", description: "Credits the lot gave (or, without a lot, credits still owed).", resolve: (a) => a.credits }),
    costUsd: t.field({
      type: "Decimal",
      description: "What those credits had cost in USD (their share of the lot's cost, to 8 places); 0 while owed.",
      resolve: (a) => a.costUsd,
    }),
  }),
});

builder.prismaObjectField("Workspace", "creditLots", (t) =>
  t.connection(
    {
      type: CreditLotRef,
      nullable: true,
      description: "Credit lots, newest first.",
      args: { state: t.arg({ type: [CreditLotStateEnum], required: false, description: "Only lots in these states at the request's now." }) },
      resolve: (workspace, args, ctx) => creditLotsConnection(ctx, workspace, { states: args.state }, args),
    },
    {
      description: "A page of a workspace's credit lots.",
      fields: (t) => ({ totalCount: t.int({ description: TOTAL_COUNT, resolve: totalCount }) }),
    },
    { description: "A credit lot and its cursor." },
  ),
);
