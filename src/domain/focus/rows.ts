// FOCUS 1.3 rows of one workspace and time range, of either dataset (Cost and Usage, Contract
// Commitment): the single source of the export files, their metadata's columns and the GraphQL
// connections. docs/focus-mapping.md explains the mapping. Rows are read in keyset pages and
// handed over one by one as they arrive, so that an export writes each at once and its memory
// stays flat whatever its size; a whole CSV or JSONL export on PostgreSQL takes its usage records
// as COPY text instead, which its writer turns into the file's bytes (exports/usage-copy.ts).
import type { CreditTransaction, Sku, Workspace } from "../../db/generated/client.js";
import { purchaseCommitments, workspacesWithDueLots } from "../../store/credit-lots.js";
import { unmeteredLedgerPage } from "../../store/ledger.js";
import { directSql, prismaSql } from "../../store/rows.js";
import { FOCUS_USAGE, focusUsageCopy, focusUsageReader, type CopiedUsage, type FocusUsageQuery, type FocusUsageRow, type UsagePosition } from "../../store/usage-records.js";
import { settleExpirations } from "../ledger.js";
import type { RateLimitState, RequestContext } from "../context.js";
import { InvalidCursorError, RateLimitedError, UnavailableError } from "../errors.js";
import { rowId } from "../rules/ids.js";
import { readEpochMs } from "../rules/instants.js";
import { GRAPHQL_PAGE } from "../connections.js";
import { pageSize } from "../rules/pages.js";
import { resolveWindow, type TimeWindow } from "../rules/windows.js";
import { workspaceFor, type WorkspaceTarget } from "../workspaces.js";
import { COMMITMENT_COLUMNS, FOCUS_COLUMNS, type FocusColumn, type FocusRow } from "./columns.js";
import { commitmentRow } from "./commitment-rows.js";
import { ledgerRow } from "./ledger-rows.js";
import type { FocusContext } from "./row-parts.js";
import { usageMapper } from "./usage-rows.js";

/** Rows per read: larger batches cost memory (each lives through several young-generation GCs) and gain nothing. */
const BATCH = 1_000;

/** The two datasets: what each is called in FOCUS and which columns its files have. */
export const FOCUS_DATASETS = {
  "cost-and-usage": { focusDatasetId: "CostAndUsage", title: "Cost and usage", columns: FOCUS_COLUMNS as readonly FocusColumn[] },
  "contract-commitment": { focusDatasetId: "ContractCommitment", title: "Contract commitments", columns: COMMITMENT_COLUMNS as readonly FocusColumn[] },
} as const;
export type FocusDataset = keyof typeof FOCUS_DATASETS;

/** Exports and their metadata cover [from, to) of at most 365 days, both bounds required. */
const FOCUS_WINDOW = { maxDays: 365, requireTo: true };

/**
 * The caller's FOCUS budget (about 10 requests a minute, per the source API), spent once per request
 * whichever surface asks: REST files and metadata, GraphQL rows and metadata.
 */
function spendFocusBudget(ctx: RequestContext): Promise<void> {
  return ctx.once("focus-budget", async () => {
    let budget: RateLimitState;
    try {
      budget = await ctx.settings.focusRateLimiter.consume(ctx.access.callerKey);
    } catch (error) {
      ctx.logger.error({ err: (error as Error)?.message }, "rate limiter unavailable");
      throw new UnavailableError("RATE_LIMITER_UNAVAILABLE", "The rate limiter is unavailable; try again shortly");
    }
    ctx.noteRateLimit(budget);
    if (budget.retryAfterSeconds !== null) {
      ctx.settings.meter.rateLimited("focus");
      throw new RateLimitedError(budget.retryAfterSeconds);
    }
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
  // Before the budget is spent: a write burst that refuses it 503 costs the caller nothing.
  await settleBeforeExport(ctx, workspace.id);
  await spendFocusBudget(ctx);
  return { workspace, window, checked };
}

/**
 * A lot past its expiry gets its EXPIRATION row before the rows are read, so that a file says what
 * the balance already says (usually the expiry job has done it; then this is one indexed read).
 */
export async function settleBeforeExport(ctx: RequestContext, workspaceId: string): Promise<void> {
  if ((await workspacesWithDueLots(prismaSql(ctx.db.prisma), ctx.clock.now(), 1, workspaceId)).length) await settleExpirations(ctx, workspaceId);
}

/** What every row of a workspace shares, and the purchases that ContractApplied names. */
async function focusContext(ctx: RequestContext, workspace: Workspace): Promise<FocusContext> {
  const [organization, purchases] = await Promise.all([
    ctx.db.prisma.organization.findUniqueOrThrow({ where: { id: workspace.organizationId } }),
    purchaseCommitments(prismaSql(ctx.db.prisma), workspace.id),
  ]);
  return { workspace, organization, providerName: ctx.settings.focusProviderName, contracts: new Map(purchases.map((p) => [p.lotId.toString(), p.transactionId.toString()])) };
}

/** Where a row is in its dataset: the cursor key after it (see startOf). */
export type FocusKey = [part: string, a: string, b: string];

/** What a reader does with each row as it arrives. */
export type TakeRow = (row: FocusRow, key: FocusKey) => void;

type Start =
  | {
      dataset: "cost-and-usage";
      /** Ledger rows after this id; null once the ledger part is done. */
      ledgerAfter: bigint | null;
      usageAfter: UsagePosition;
    }
  | { dataset: "contract-commitment"; afterLotId: bigint };

/**
 * Where a dataset's rows start after a cursor key: Cost and Usage keys are ["L", ledger id, "-"]
 * or ["U", epoch ms, usage id]; Contract Commitment keys ["C", lot id, "-"]. Null for a key that
 * is not one of these.
 */
function startOf(dataset: FocusDataset, key: string[] | null): Start | null {
  if (dataset === "contract-commitment") {
    if (!key) return { dataset, afterLotId: 0n };
    const lot = rowId(key[1]);
    return key[0] === "C" && lot !== null && key[2] === "-" ? { dataset, afterLotId: lot } : null;
  }
  const usageStart = { ms: "0", id: "0" };
  if (!key) return { dataset, ledgerAfter: 0n, usageAfter: usageStart };
  const [part, a, b] = key;
  const ledgerAfter = rowId(a);
  if (part === "L" && ledgerAfter !== null && b === "-") return { dataset, ledgerAfter, usageAfter: usageStart };
  if (part === "U" && readEpochMs(a!).ok && rowId(b) !== null) return { dataset, ledgerAfter: null, usageAfter: { ms: a!, id: b! } };
  return null;
}

/** A page read: rows after a position (null: from the start), at most `take`, each to `onRow` as it arrives. */
type PageRead<R> = (after: R | null, take: number, onRow: (row: R) => void) => Promise<void>;

/** A page read from a query that returns its rows whole. */
const wholePages = <R>(read: (after: R | null, take: number) => Promise<R[]>): PageRead<R> =>
  async (after, take, onRow) => (await read(after, take)).forEach((row) => onRow(row));

/**
 * Pages of a keyset read; each row goes to `onRow` as it arrives, and each page's count is yielded
 * once the page is whole. The next page is requested before the caller resumes, so that the
 * database reads while the caller writes; once the caller stops, rows still arriving are dropped.
 * `budget.left` bounds the rows of every part that shares it.
 */
async function* keysetPages<R>(read: PageRead<R>, onRow: (row: R) => void, batchSize: number, budget: { left: number }): AsyncGenerator<number> {
  let stopped = false;
  const request = (after: R | null) => {
    const page = { size: Math.min(batchSize, budget.left), count: 0, last: null as R | null };
    const done = read(after, page.size, (row) => {
      if (stopped) return;
      page.count += 1;
      page.last = row;
      onRow(row);
    });
    return { page, done };
  };
  let next = budget.left > 0 ? request(null) : null;
  try {
    while (next) {
      const { page, done } = next;
      await done;
      budget.left -= page.count;
      next = null;
      if (page.count === page.size && budget.left > 0) {
        next = request(page.last);
        next.done.catch(() => {}); // awaited on the next turn; if the caller stops first, nobody waits for it
        await new Promise((resolve) => setImmediate(resolve)); // lets the driver send the query before the caller gets busy
      }
      if (page.count > 0) yield page.count;
    }
  } finally {
    stopped = true;
  }
}

/**
 * What takes usage records as COPY text (exports/usage-copy.ts writes them as a file's bytes):
 * each chunk in order, returning the records it completed.
 */
export type UsageCopyTaker = (chunk: Buffer) => number;

/** Records per COPY statement: a statement of PostgreSQL's pace, read whole before it is written out. */
const COPY_SEGMENT = 10_000;

/**
 * The usage part as COPY text, `segment` records at a time; yields the records each chunk
 * completed. The next segment is read while the caller writes this one (and dropped if it stops).
 */
async function* copiedUsage(ctx: RequestContext, query: FocusUsageQuery, after: UsagePosition, take: UsageCopyTaker, segment: number): AsyncGenerator<number> {
  const read = (from: UsagePosition) => {
    const copied = focusUsageCopy(ctx.db, query, from, segment);
    copied.catch(() => {}); // awaited below; if the caller stops first, nobody waits for it
    return copied;
  };
  for (let next: Promise<CopiedUsage> | null = read(after); next !== null; ) {
    const copied: CopiedUsage = await next;
    next = copied.records === segment ? read(copied.last!) : null;
    for (const chunk of copied.chunks) {
      const records = take(chunk);
      if (records > 0) yield records;
    }
  }
}

/**
 * Rows of a dataset, a workspace and a window, each given to `take` as it arrives (an export writes
 * it at once, so that no page of rows outlives it); yields each page's row count, so that the
 * caller can wait for its sink between pages. Cost and Usage: ledger rows (purchases, grants, …) in
 * id order, then usage in time order. Contract Commitment: purchases in lot order. Exports take
 * every row; the GraphQL connections start after a cursor and stop at a limit. The caller has been
 * through focusRequest.
 */
export async function* focusRowPages(
  ctx: RequestContext,
  workspace: Workspace,
  window: TimeWindow,
  take: TakeRow,
  options: {
    dataset?: FocusDataset; start?: Start; limit?: number; batchSize?: number;
    /** A whole export's way with usage records where PostgreSQL streams COPY: given what maps them, what takes their text instead of `take`. */
    usageCopy?: (focus: FocusContext, skus: Sku[]) => UsageCopyTaker;
  } = {},
): AsyncGenerator<number> {
  const start = options.start ?? startOf(options.dataset ?? "cost-and-usage", null)!;
  const batchSize = options.batchSize ?? BATCH;
  const budget = { left: options.limit ?? Number.POSITIVE_INFINITY };
  const focus = await focusContext(ctx, workspace);

  if (start.dataset === "contract-commitment") {
    type Purchase = Awaited<ReturnType<typeof purchaseCommitments>>[number];
    const read = wholePages<Purchase>((after, limit) => purchaseCommitments(prismaSql(ctx.db.prisma), workspace.id, { window, afterLotId: after?.lotId ?? start.afterLotId, limit }));
    yield* keysetPages(read, (p) => take(commitmentRow(focus, p), ["C", p.lotId.toString(), "-"]), batchSize, budget);
    return;
  }

  if (start.ledgerAfter !== null) {
    const firstId = start.ledgerAfter;
    // Metered usage comes from its usage records, below.
    const read = wholePages<CreditTransaction>((after, limit) =>
      unmeteredLedgerPage(directSql(ctx.db), { workspaceId: workspace.id, from: window.from, to: window.to, afterId: after?.id ?? firstId, take: limit }));
    yield* keysetPages(read, (row) => take(ledgerRow(focus, row), ["L", row.id.toString(), "-"]), batchSize, budget);
  }

  const skus = await ctx.db.prisma.sku.findMany();
  const usageQuery = { workspaceId: workspace.id, from: window.from, to: window.to, creditPriceUsd: workspace.creditPriceUsd.toFixed() };
  if (options.usageCopy && options.limit === undefined && ctx.db.copyOut) {
    yield* copiedUsage(ctx, usageQuery, start.usageAfter, options.usageCopy(focus, skus), options.batchSize ?? COPY_SEGMENT);
    return;
  }
  const toUsageRow = usageMapper(focus, skus);
  const readUsage = focusUsageReader(ctx.db, usageQuery);
  const read: PageRead<FocusUsageRow> = (after, limit, onRow) =>
    readUsage(after ? { ms: after[FOCUS_USAGE.atMs]!, id: after[FOCUS_USAGE.id]! } : start.usageAfter, limit, onRow);
  yield* keysetPages(read, (r) => take(toUsageRow(r), ["U", r[FOCUS_USAGE.atMs]!, r[FOCUS_USAGE.id]!]), batchSize, budget);
}

/** The same rows gathered into a batch per page, for writers that take rows a batch at a time (export jobs' file sets). */
export async function* focusRowBatches(
  ctx: RequestContext,
  workspace: Workspace,
  window: TimeWindow,
  options: Parameters<typeof focusRowPages>[4] = {},
): AsyncGenerator<{ rows: FocusRow[] }> {
  const rows: FocusRow[] = [];
  for await (const count of focusRowPages(ctx, workspace, window, (row) => void rows.push(row), options)) {
    // Rows of the page requested meanwhile may follow: each batch is its own page's first rows.
    yield { rows: rows.splice(0, count) };
  }
}

export interface FocusPage {
  edges: { row: FocusRow; cursor: string }[];
  hasNextPage: boolean;
  /** Whether the page started after a cursor (the connection pages forwards only). */
  hasPreviousPage: boolean;
}

/** Workspace.focusRows and Workspace.focusContractCommitments: a page of a dataset's rows, after a cursor this connection issued. */
export async function focusRowsPage(
  ctx: RequestContext,
  target: WorkspaceTarget,
  dataset: FocusDataset,
  query: { from: Date; to: Date; first?: number | null; after?: string | null },
): Promise<FocusPage> {
  const connection = dataset === "cost-and-usage" ? "Workspace.focusRows" : "Workspace.focusContractCommitments";
  const binding = (workspace: Workspace) => ({ connection, workspaceId: workspace.id });
  const { workspace, window, checked: { first, start } } = await focusRequest(ctx, target, query, (workspace) => {
    const start = startOf(dataset, query.after ? ctx.settings.cursors.decode(binding(workspace), query.after, "after", 3) : null);
    if (!start) throw new InvalidCursorError("after");
    return { first: pageSize(query.first, GRAPHQL_PAGE, "first"), start };
  });
  const edges: FocusPage["edges"] = [];
  const take: TakeRow = (row, key) => edges.push({ row, cursor: ctx.settings.cursors.encode(binding(workspace), key) });
  // One row more than asked for tells whether there is a next page.
  for await (const _ of focusRowPages(ctx, workspace, window, take, { start, limit: first + 1 }));
  ctx.settings.meter.focusRowsExported(dataset, "graphql", Math.min(first, edges.length));
  return { edges: edges.slice(0, first), hasNextPage: edges.length > first, hasPreviousPage: query.after != null };
}
