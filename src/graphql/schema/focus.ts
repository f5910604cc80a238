// FOCUS 1.3 rows and metadata over GraphQL, from the same domain functions as the export files.
import { JSONObjectResolver } from "graphql-scalars";
import { GRAPHQL_PAGE } from "../../domain/connections.js";
import { FOCUS_COLUMNS, type FocusRow } from "../../domain/focus/columns.js";
import { focusMetadata } from "../../domain/focus/metadata.js";
import { focusRowsPage, type FocusPage } from "../../domain/focus/rows.js";
import { builder } from "../builder.js";

builder.addScalarType("JSONObject", JSONObjectResolver);

const FocusRowRef = builder.objectRef<FocusRow>("FocusRow").implement({
  description: "One FOCUS 1.3 Cost and Usage row; decimals are exact strings, JSON columns serialized JSON, as in the files.",
  fields: (t) => Object.fromEntries(FOCUS_COLUMNS.map((column, i) => [column.name, t.string({ nullable: true, resolve: (row) => row[i] ?? null })])),
});

type FocusEdgeShape = FocusPage["edges"][number];

const FocusEdge = builder.objectRef<FocusEdgeShape>("FocusRowEdge").implement({
  fields: (t) => ({ cursor: t.exposeString("cursor"), node: t.field({ type: FocusRowRef, resolve: (e) => e.row }) }),
});

const FocusPageRef = builder.objectRef<FocusPage>("FocusRowConnection").implement({
  fields: (t) => ({
    edges: t.field({ type: [FocusEdge], resolve: (p) => p.edges }),
    hasNextPage: t.exposeBoolean("hasNextPage"),
    endCursor: t.string({ nullable: true, resolve: (p) => p.edges.at(-1)?.cursor ?? null }),
  }),
});

builder.prismaObjectFields("Workspace", (t) => ({
  focusRows: t.field({
    type: FocusPageRef,
    description: "FOCUS 1.3 rows of [from, to), in export order (ledger rows, then usage in time order). Counts against the caller's FOCUS rate limit.",
    args: {
      from: t.arg({ type: "DateTime", required: true }),
      to: t.arg({ type: "DateTime", required: true }),
      first: t.arg.int({ required: false, defaultValue: GRAPHQL_PAGE.default }),
      after: t.arg.string({ required: false }),
    },
    resolve: (workspace, args, ctx) => focusRowsPage(ctx, workspace, args),
  }),
  focusMetadata: t.field({
    type: "JSONObject",
    description: "FOCUS 1.3 metadata of [from, to), as served by /api/billing/focus-metadata. Counts against the caller's FOCUS rate limit.",
    args: { from: t.arg({ type: "DateTime", required: true }), to: t.arg({ type: "DateTime", required: true }) },
    resolve: (workspace, args, ctx) => focusMetadata(ctx, workspace, args),
  }),
}));
