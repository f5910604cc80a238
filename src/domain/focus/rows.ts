// FOCUS 1.3 Cost and Usage rows of one workspace and time range: the single source of the export
// files, their metadata's columns and the GraphQL connection. docs/focus-mapping.md explains the
// mapping. Rows come in keyset batches, so that exports stream with flat memory.
import type { CreditTransaction, Workspace } from "../../db/generated/client.js";
import { FOCUS_USAGE, focusUsageReader, type FocusUsageRow, type UsagePosition } from "../../store/usage-records.js";
import type { RequestContext } from "../context.js";
import { InvalidCursorError, RateLimitedError, UnavailableError } from "../errors.js";
import { rowId } from "../rules/ids.js";
import { readEpochMs } from "../rules/instants.js";
import { GRAPHQL_PAGE } from "../connections.js";
import { pageSize } from "../rules/pages.js";
import { resolveWindow, type TimeWindow } from "../rules/windows.js";
import { workspaceFor, type WorkspaceTarget } from "../workspaces.js";
import type { FocusRow } from "./columns.js";
import { ledgerRow } from "./ledger-rows.js";
import type { FocusContext } from "./row-parts.js";
import { usageMapper } from "./usage-rows.js";

/** Rows per read: larger batches cost memory (each lives through several young-generation GCs) and gain nothing. */
const BATCH = 1_000;

/** Exports and their metadata cover [from, to) of at most 365 days, both bounds required. */
const FOCUS_WINDOW = { maxDays: 365, requireTo: true };

/**
 * The caller's FOCUS budget (about 10 requests a minute, per the source API), spent once per request
 * whichever surface asks: REST files and metadata, GraphQL rows and metadata.
 */
function spendFocusBudget(ctx: RequestContext): Promise<void> {
  return ctx.once("focus-budget", async () => {
    let wait: number | null;
    try {
      wait = await ctx.settings.focusRateLimiter.consume(ctx.access.callerKey);
    } catch (error) {
      ctx.logger.error({ err: (error as Error)?.message }, "rate limiter unavailable");
      throw new UnavailableError("RATE_LIMITER_UNAVAILABLE", "The rate limiter is unavailable; try again shortly");
    }
    if (wait !== null) throw new RateLimitedError(wait);
  });
}

/**
 * The workspace and window of a FOCUS request, once the caller may read it, its parameters hold
 * (the window, and whatever `check` checks), and only then its budget is spent.
 */
export async function focusRequest<T = undefined>(
  ctx: RequestContext,
  target: WorkspaceTarget,
  range: { from?: Date | null; to?: Date | null },
  check: (workspace: Workspace) => T = () => undefined as T,
) {
  const workspace = await workspaceFor(ctx, target, "read:billing");
  const window = resolveWindow(range, FOCUS_WINDOW, "UTC", ctx.clock.now());
  const checked = check(workspace);
  await spendFocusBudget(ctx);
  return { workspace, window, checked };
}

/** A batch of rows and the cursor key after each. */
export interface FocusBatch {
  rows: FocusRow[];
  key(index: number): string[];
}

interface Start {
  /** Ledger rows after this id; null once the ledger part is done. */
  ledgerAfter: bigint | null;
  usageAfter: UsagePosition;
}

/** A cursor key: ["L", ledger id, "-"] or ["U", epoch ms, usage id]. */
function startOf(key: string[] | null): Start | null {
  const usageStart = { ms: "0", id: "0" };
  if (!key) return { ledgerAfter: 0n, usageAfter: usageStart };
  const [part, a, b] = key;
  const ledgerAfter = rowId(a);
  if (part === "L" && ledgerAfter !== null && b === "-") return { ledgerAfter, usageAfter: usageStart };
  if (part === "U" && readEpochMs(a!).ok && rowId(b) !== null) return { ledgerAfter: null, usageAfter: { ms: a!, id: b! } };
  return null;
}

/**
 * Pages of a keyset read. The next page is requested before the caller gets the current one, so
 * that the database reads while the caller writes; a read the caller no longer wants is dropped.
 */
async function* keysetPages<R>(read: (after: R | null, take: number) => Promise<R[]>, batchSize: number, limit: number): AsyncGenerator<R[]> {
  let size = Math.min(batchSize, limit);
  let remaining = limit;
  let next = size > 0 ? read(null, size) : null;
  while (next) {
    const page = await next;
    remaining -= page.length;
    next = null;
    if (page.length === size && remaining > 0) {
      size = Math.min(batchSize, remaining);
      next = read(page.at(-1)!, size);
      next.catch(() => {}); // awaited on the next turn; if the caller stops first, nobody waits for it
      await new Promise((resolve) => setImmediate(resolve)); // lets the driver send the query before the caller gets busy
    }
    if (page.length > 0) yield page;
  }
}

/**
 * Rows of a workspace and window, in batches: ledger rows (purchases, grants, …) in id order, then
 * usage in time order. Exports take every batch; the GraphQL connection starts after a cursor and
 * stops at a limit. The caller has been through focusRequest.
 */
export async function* focusRowBatches(
  ctx: RequestContext,
  workspace: Workspace,
  window: TimeWindow,
  options: { start?: Start; limit?: number; batchSize?: number } = {},
): AsyncGenerator<FocusBatch> {
  const start = options.start ?? startOf(null)!;
  const batchSize = options.batchSize ?? BATCH;
  let budget = options.limit ?? Number.POSITIVE_INFINITY;
  const organization = await ctx.db.prisma.organization.findUniqueOrThrow({ where: { id: workspace.organizationId } });
  const focus: FocusContext = { workspace, organization, providerName: ctx.settings.focusProviderName };

  if (start.ledgerAfter !== null) {
    const firstId = start.ledgerAfter;
    const ledger = keysetPages<CreditTransaction>(
      (after, take) =>
        ctx.db.prisma.creditTransaction.findMany({
          where: {
            workspaceId: workspace.id,
            occurredAt: { gte: window.from, lt: window.to },
            id: { gt: after?.id ?? firstId },
            NOT: { type: "USAGE", usageRecordId: { not: null } }, // metered usage comes from its usage record
          },
          orderBy: { id: "asc" },
          take,
        }),
      batchSize,
      budget,
    );
    for await (const page of ledger) {
      budget -= page.length;
      yield { rows: page.map((row) => ledgerRow(focus, row)), key: (i) => ["L", page[i]!.id.toString(), "-"] };
    }
  }

  const toUsageRow = usageMapper(focus, await ctx.db.prisma.sku.findMany());
  const readUsage = focusUsageReader(ctx.db, { workspaceId: workspace.id, from: window.from, to: window.to, creditPriceUsd: workspace.creditPriceUsd.toFixed() });
  const position = (r: FocusUsageRow): UsagePosition => ({ ms: r[FOCUS_USAGE.atMs]!, id: r[FOCUS_USAGE.id]! });
  const usage = keysetPages<FocusUsageRow>((after, take) => readUsage(after ? position(after) : start.usageAfter, take), batchSize, budget);
  for await (const page of usage) {
    yield { rows: page.map(toUsageRow), key: (i) => ["U", ...Object.values(position(page[i]!))] };
  }
}

export interface FocusPage {
  edges: { row: FocusRow; cursor: string }[];
  hasNextPage: boolean;
}

/** Workspace.focusRows: a page of the export's rows, after a cursor this connection issued. */
export async function focusRowsPage(ctx: RequestContext, target: WorkspaceTarget, query: { from: Date; to: Date; first?: number | null; after?: string | null }): Promise<FocusPage> {
  const binding = (workspace: Workspace) => ({ connection: "Workspace.focusRows", workspaceId: workspace.id });
  const { workspace, window, checked: { first, start } } = await focusRequest(ctx, target, query, (workspace) => {
    const start = startOf(query.after ? ctx.settings.cursors.decode(binding(workspace), query.after, "after", 3) : null);
    if (!start) throw new InvalidCursorError("after");
    return { first: pageSize(query.first, GRAPHQL_PAGE, "first"), start };
  });
  const edges: FocusPage["edges"] = [];
  // One row more than asked for tells whether there is a next page.
  for await (const batch of focusRowBatches(ctx, workspace, window, { start, limit: first + 1 })) {
    batch.rows.forEach((row, i) => edges.push({ row, cursor: ctx.settings.cursors.encode(binding(workspace), batch.key(i)) }));
  }
  return { edges: edges.slice(0, first), hasNextPage: edges.length > first };
}
