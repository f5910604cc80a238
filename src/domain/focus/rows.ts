// FOCUS 1.3 Cost and Usage rows of one workspace and time range: the single source of the export
// files, their metadata's columns and the GraphQL connection. docs/focus-mapping.md explains the
// mapping. Rows come in keyset batches, so that exports stream with flat memory.
import type { Actor } from "../../auth/actor.js";
import type { Database } from "../../db/client.js";
import type { CreditTransaction, Workspace } from "../../db/generated/client.js";
import { assertWorkspaceScope } from "../access.js";
import { ValidationError } from "../errors.js";
import type { TimeWindow } from "../time.js";
import type { FocusRow } from "./columns.js";
import { ledgerRow } from "./ledger-rows.js";
import type { FocusContext } from "./row-parts.js";
import { usageMapper, usagePosition, usageReader, type UsagePosition, type UsageSqlRow } from "./usage-rows.js";

/** Rows per read: larger batches cost memory (each lives through several young-generation GCs) and gain nothing. */
const BATCH = 1_000;

const MAX_FOCUS_WINDOW_DAYS = 365;

/** What is wrong with an export window [from, to), naming the bound at fault; null when it is fine. */
export function focusWindowProblem(from: Date, to: Date): { code: "INVALID_RANGE" | "RANGE_TOO_LARGE"; param: "from" | "to"; message: string } | null {
  if (from >= to) return { code: "INVALID_RANGE", param: "from", message: "from must be before to" };
  const days = (to.getTime() - from.getTime()) / 86_400_000;
  if (days > MAX_FOCUS_WINDOW_DAYS) {
    return { code: "RANGE_TOO_LARGE", param: "to", message: `to may be at most ${MAX_FOCUS_WINDOW_DAYS} days after from (got ${Math.ceil(days)})` };
  }
  return null;
}

/** A batch of rows and the opaque cursor after each: `L:<ledger id>` or `U:<epoch ms>:<usage id>`. */
export interface FocusBatch {
  rows: FocusRow[];
  cursor(index: number): string;
}

interface Start {
  /** Ledger rows after this id; null once the ledger part is done. */
  ledgerAfter: bigint | null;
  usageAfter: UsagePosition;
}

function parseCursor(cursor: string | null | undefined): Start {
  const usageStart = { ms: "0", id: "0" };
  if (!cursor) return { ledgerAfter: 0n, usageAfter: usageStart };
  const ledger = /^L:(\d{1,18})$/.exec(cursor);
  if (ledger) return { ledgerAfter: BigInt(ledger[1]!), usageAfter: usageStart };
  const usage = /^U:(\d{1,15}):(\d{1,18})$/.exec(cursor);
  if (usage) return { ledgerAfter: null, usageAfter: { ms: usage[1]!, id: usage[2]! } };
  throw ValidationError.single("after", "Malformed cursor");
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
 * stops at a limit.
 */
export async function* focusRowBatches(
  db: Database,
  actor: Actor,
  workspace: Workspace,
  window: TimeWindow,
  providerName: string,
  options: { after?: string | null; limit?: number; batchSize?: number } = {},
): AsyncGenerator<FocusBatch> {
  assertWorkspaceScope(actor, workspace.id, "read:billing");
  const start = parseCursor(options.after);
  const batchSize = options.batchSize ?? BATCH;
  let budget = options.limit ?? Number.POSITIVE_INFINITY;
  const organization = await db.prisma.organization.findUniqueOrThrow({ where: { id: workspace.organizationId } });
  const ctx: FocusContext = { workspace, organization, providerName };

  if (start.ledgerAfter !== null) {
    const firstId = start.ledgerAfter;
    const ledger = keysetPages<CreditTransaction>(
      (after, take) =>
        db.prisma.creditTransaction.findMany({
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
      yield { rows: page.map((row) => ledgerRow(ctx, row)), cursor: (i) => `L:${page[i]!.id}` };
    }
  }

  const toUsageRow = usageMapper(ctx, await db.prisma.sku.findMany());
  const readUsage = usageReader(db, workspace, window);
  const usage = keysetPages<UsageSqlRow>((after, take) => readUsage(after ? usagePosition(after) : start.usageAfter, take), batchSize, budget);
  for await (const page of usage) {
    yield {
      rows: page.map(toUsageRow),
      cursor: (i) => {
        const { ms, id } = usagePosition(page[i]!);
        return `U:${ms}:${id}`;
      },
    };
  }
}
