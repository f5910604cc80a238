// FOCUS 1.3 rows and metadata over GraphQL, from the same domain functions as the export files.
import { JSONObjectResolver } from "graphql-scalars";
import { FOCUS_COLUMNS, type FocusRow } from "../../domain/focus/columns.js";
import { focusMetadata } from "../../domain/focus/metadata.js";
import { focusRowBatches, focusWindowProblem } from "../../domain/focus/rows.js";
import { ValidationError } from "../../domain/errors.js";
import { builder } from "../builder.js";
import { QUERY_LIMITS } from "../limits.js";

builder.addScalarType("JSONObject", JSONObjectResolver);

const FocusRowRef = builder.objectRef<FocusRow>("FocusRow").implement({
  description: "One FOCUS 1.3 Cost and Usage row; decimals are exact strings, JSON columns serialized JSON, as in the files.",
  fields: (t) => Object.fromEntries(FOCUS_COLUMNS.map((column, i) => [column.name, t.string({ nullable: true, resolve: (row) => row[i] ?? null })])),
});

interface FocusEdgeShape {
  row: FocusRow;
  cursor: string;
}

const FocusEdge = builder.objectRef<FocusEdgeShape>("FocusRowEdge").implement({
  fields: (t) => ({ cursor: t.exposeString("cursor"), node: t.field({ type: FocusRowRef, resolve: (e) => e.row }) }),
});

const FocusPage = builder.objectRef<{ edges: FocusEdgeShape[]; hasNextPage: boolean }>("FocusRowConnection").implement({
  fields: (t) => ({
    edges: t.field({ type: [FocusEdge], resolve: (p) => p.edges }),
    hasNextPage: t.exposeBoolean("hasNextPage"),
    endCursor: t.string({ nullable: true, resolve: (p) => p.edges.at(-1)?.cursor ?? null }),
  }),
});

function focusWindowOf(from: Date, to: Date) {
  const problem = focusWindowProblem(from, to);
  if (problem) throw ValidationError.single(problem.param, problem.message);
  return { from, to };
}

builder.prismaObjectFields("Workspace", (t) => ({
  focusRows: t.field({
    type: FocusPage,
    description: "FOCUS 1.3 rows of [from, to), in export order (ledger rows, then usage in time order).",
    args: {
      from: t.arg({ type: "DateTime", required: true }),
      to: t.arg({ type: "DateTime", required: true }),
      first: t.arg.int({ required: false, defaultValue: QUERY_LIMITS.pageSizeDefault }),
      after: t.arg.string({ required: false }),
    },
    resolve: async (workspace, args, ctx) => {
      const first = args.first ?? QUERY_LIMITS.pageSizeDefault;
      if (first < 1 || first > QUERY_LIMITS.pageSizeMax) throw ValidationError.single("first", `first must be between 1 and ${QUERY_LIMITS.pageSizeMax}`);
      const window = focusWindowOf(args.from, args.to);
      const edges: FocusEdgeShape[] = [];
      // One row more than asked for tells whether there is a next page.
      for await (const batch of focusRowBatches(ctx.db, ctx.actor, workspace, window, ctx.focusProviderName, { after: args.after, limit: first + 1 })) {
        batch.rows.forEach((row, i) => edges.push({ row, cursor: batch.cursor(i) }));
      }
      return { edges: edges.slice(0, first), hasNextPage: edges.length > first };
    },
  }),
  focusMetadata: t.field({
    type: "JSONObject",
    description: "FOCUS 1.3 metadata of [from, to), as served by /api/billing/focus-metadata.",
    args: { from: t.arg({ type: "DateTime", required: true }), to: t.arg({ type: "DateTime", required: true }) },
    resolve: (workspace, args, ctx) => focusMetadata(ctx.db.prisma, ctx.actor, workspace, focusWindowOf(args.from, args.to), ctx.focusProviderName),
  }),
}));
