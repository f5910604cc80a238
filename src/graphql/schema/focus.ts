// FOCUS 1.3 rows and metadata over GraphQL, from the same domain functions as the export files.
import { JSONObjectResolver } from "graphql-scalars";
import { GRAPHQL_PAGE } from "../../domain/connections.js";
import { COMMITMENT_COLUMNS, FOCUS_COLUMNS, type FocusColumn, type FocusRow } from "../../domain/focus/columns.js";
import { focusMetadata } from "../../domain/focus/metadata.js";
import { focusRowsPage, type FocusDataset, type FocusPage } from "../../domain/focus/rows.js";
import { builder } from "../builder.js";

builder.addScalarType("JSONObject", JSONObjectResolver);

type FocusEdgeShape = FocusPage["edges"][number];

/** A row type with one nullable string field per column, and its connection. */
function rowTypes(name: string, connectionName: string, description: string, columns: readonly FocusColumn[]) {
  const row = builder.objectRef<FocusRow>(name).implement({
    description,
    fields: (t) => Object.fromEntries(columns.map((column, i) => [column.name, t.string({ nullable: true, resolve: (r) => r[i] ?? null })])),
  });
  const edge = builder.objectRef<FocusEdgeShape>(`${name}Edge`).implement({
    fields: (t) => ({ cursor: t.exposeString("cursor"), node: t.field({ type: row, resolve: (e) => e.row }) }),
  });
  return builder.objectRef<FocusPage>(connectionName).implement({
    description: `A page of ${name} rows; forwards only (first/after).`,
    fields: (t) => ({
      edges: t.field({ type: [edge], resolve: (p) => p.edges }),
      pageInfo: t.field({
        type: builder.pageInfoRef(),
        resolve: (p) => ({ hasNextPage: p.hasNextPage, hasPreviousPage: p.hasPreviousPage, startCursor: p.edges[0]?.cursor ?? null, endCursor: p.edges.at(-1)?.cursor ?? null }),
      }),
      hasNextPage: t.exposeBoolean("hasNextPage", { deprecationReason: "Use pageInfo.hasNextPage." }),
      endCursor: t.string({ nullable: true, deprecationReason: "Use pageInfo.endCursor.", resolve: (p) => p.edges.at(-1)?.cursor ?? null }),
    }),
  });
}

const FocusRowPage = rowTypes("FocusRow", "FocusRowConnection", "One FOCUS 1.3 Cost and Usage row; decimals are exact strings, JSON columns serialized JSON, as in the files.", FOCUS_COLUMNS);
const CommitmentPage = rowTypes("FocusContractCommitment", "FocusContractCommitmentConnection", "One FOCUS 1.3 Contract Commitment row (a purchase); decimals are exact strings, as in the files.", COMMITMENT_COLUMNS);

const FocusDatasetEnum = builder.enumType("FocusDataset", {
  values: { COST_AND_USAGE: { value: "cost-and-usage" }, CONTRACT_COMMITMENT: { value: "contract-commitment" } } as const,
});

const pageArgs = builder.args((t) => ({
  from: t.field({ type: "DateTime", required: true }),
  to: t.field({ type: "DateTime", required: true }),
  first: t.int({ required: false, defaultValue: GRAPHQL_PAGE.default }),
  after: t.string({ required: false }),
}));

builder.prismaObjectFields("Workspace", (t) => ({
  focusRows: t.field({
    type: FocusRowPage,
    nullable: true,
    description: "FOCUS 1.3 rows of [from, to), in export order (ledger rows, then usage in time order). Counts against the caller's FOCUS rate limit.",
    args: pageArgs,
    resolve: (workspace, args, ctx) => focusRowsPage(ctx, workspace, "cost-and-usage", args),
  }),
  focusContractCommitments: t.field({
    type: CommitmentPage,
    nullable: true,
    description: "FOCUS 1.3 Contract Commitment rows: the purchases whose term overlaps [from, to), in lot order. Counts against the caller's FOCUS rate limit.",
    args: pageArgs,
    resolve: (workspace, args, ctx) => focusRowsPage(ctx, workspace, "contract-commitment", args),
  }),
  focusMetadata: t.field({
    type: "JSONObject",
    nullable: true,
    description: "FOCUS 1.3 metadata of a dataset over [from, to), as served by /api/billing/focus-metadata. Counts against the caller's FOCUS rate limit.",
    args: {
      from: t.arg({ type: "DateTime", required: true }),
      to: t.arg({ type: "DateTime", required: true }),
      dataset: t.arg({ type: FocusDatasetEnum, required: false, defaultValue: "cost-and-usage" }),
    },
    resolve: (workspace, args, ctx) => focusMetadata(ctx, workspace, args, (args.dataset ?? "cost-and-usage") as FocusDataset),
  }),
}));
