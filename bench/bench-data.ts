// What the side-by-side benchmark adds to the bulk workspace: executions for the dashboard, and the
// functions through which PostGraphile runs the dashboard's rollup over the same tables.
import crypto from "node:crypto";
import type { Database } from "../src/db/client.js";
import { LLM_MODELS } from "../src/seed/price-list.js";
import { sessionSql } from "../src/seed/session-sql.js";
import { rebuildAggregates } from "../src/store/aggregates.js";

const WORKFLOWS = ["Support triage", "Nightly report", "Code review", "Lead enrichment", "Invoice parsing"];

/** Adds executions (spread over the usage's year, with their workflows) until the workspace has `count`. */
export async function ensureExecutions(db: Database, workspaceId: string, count: number): Promise<void> {
  const have = await db.prisma.execution.count({ where: { workspaceId } });
  if (have >= count) return;
  await db.withSession(async (session) => {
    await session.exec("BEGIN");
    for (const name of WORKFLOWS) {
      await session.query(`INSERT INTO "Workflow" (id, "workspaceId", name) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, [crypto.randomUUID(), workspaceId, name]);
    }
    // Random but repeatable: costs of a few cents to a dollar, models and workflows in turn.
    await session.query(
      `INSERT INTO "Execution" ("workspaceId", "workflowId", "startedAt", trigger, model, "inputTokens", "outputTokens", "costUsd", "monthToDateUsd")
       SELECT $1, w.ids[1 + i % array_length(w.ids, 1)], now() - (i * interval '365 days' / $2) - interval '1 minute',
              (ARRAY['api', 'schedule', 'webhook'])[1 + i % 3], ($3::text[])[1 + i % array_length($3::text[], 1)],
              1000 + (i * 37) % 9000, 100 + (i * 53) % 2000, round((0.02 + ((i * 7919) % 1000) / 1000.0)::numeric, 8),
              0 -- the running totals: rebuildAggregates, below
       FROM generate_series(1, $2) AS i, (SELECT array_agg(id ORDER BY name) AS ids FROM "Workflow" WHERE "workspaceId" = $1) AS w`,
      [workspaceId, count - have, [...LLM_MODELS]],
    );
    await rebuildAggregates(sessionSql(session), workspaceId);
    await session.exec("COMMIT");
    await session.exec(`ANALYZE "Execution", "Workflow"`);
  });
}

/**
 * The dashboard's 30-day rollup by model for PostGraphile, which has no rollup of its own: from the
 * daily table the gateway reads (usageByModel), and from the usage rows (usageByModelRaw).
 */
export const PG_FUNCTIONS = `
CREATE SCHEMA IF NOT EXISTS bench;
DO $$ BEGIN CREATE TYPE bench.model_cost AS (model text, "costUsd" numeric); EXCEPTION WHEN duplicate_object THEN NULL; END $$;
CREATE OR REPLACE FUNCTION bench.usage_by_model(workspace uuid, since timestamptz) RETURNS SETOF bench.model_cost
  LANGUAGE sql STABLE AS $fn$
    SELECT model, SUM("costUsd") FROM "UsageDailyTotal" WHERE "workspaceId" = workspace AND day >= since::date GROUP BY model ORDER BY model
  $fn$;
CREATE OR REPLACE FUNCTION bench.usage_by_model_raw(workspace uuid, since timestamptz) RETURNS SETOF bench.model_cost
  LANGUAGE sql STABLE AS $fn$
    SELECT COALESCE(model, ''), SUM("costUsd") FROM "UsageRecord" WHERE "workspaceId" = workspace AND "occurredAt" >= since GROUP BY 1 ORDER BY 1
  $fn$;
`;
