// The indexes a statement's plan reads, for tests that a hot read takes the index it was written for
// (whatever the statistics say).
import type { Database } from "../../src/db/client.js";
import type { RunSql } from "../../src/store/rows.js";

export interface PlanNode {
  "Index Name"?: string;
  "Index Cond"?: string;
  Plans?: PlanNode[];
}

const nodes = (node: PlanNode): PlanNode[] => [node, ...(node.Plans ?? []).flatMap(nodes)];

/** The indexes a lookup's plan reads `table` by. A table this small is read whole: without that choice, which index would the planner take? */
export async function indexesOf(db: Database, table: string, lookup: (run: RunSql) => Promise<unknown>): Promise<PlanNode[]> {
  let plan: PlanNode | undefined;
  await db.withSession(async (session) => {
    await session.exec("SET enable_seqscan = off");
    try {
      await lookup(async (sql, params) => {
        const [row] = await session.query(`EXPLAIN (FORMAT JSON) ${sql}`, params);
        plan = (row!["QUERY PLAN"] as { Plan: PlanNode }[])[0]!.Plan;
        return [];
      });
    } finally {
      await session.exec("RESET enable_seqscan");
    }
  });
  return nodes(plan!).filter((node) => node["Index Name"]?.startsWith(table));
}
