// FOCUS 1.3 metadata of an export: data generator, dataset instance, recency by UTC day, and the
// schema of the columns that rows.ts writes.
import crypto from "node:crypto";
import type { Workspace } from "../../db/generated/client.js";
import { prismaSql } from "../../store/rows.js";
import { lastChangeByUtcDay } from "../../store/usage-records.js";
import type { RequestContext } from "../context.js";
import type { WorkspaceTarget } from "../workspaces.js";
import { FOCUS_COLUMNS } from "./columns.js";
import { focusTime } from "./row-parts.js";
import { focusRequest } from "./rows.js";

const DAY_MS = 86_400_000;
const GENERATOR_VERSION = "0.2.0";
/** When this schema (columns and generator version) was defined; a new schema gets a new date. */
const SCHEMA_CREATED = "2026-11-22T00:00:00Z";
/** Usage may be recorded a few minutes after it happened; a day is complete once that is over. */
const LATE_USAGE_MS = 5 * 60_000;

function guid(seed: string): string {
  const h = crypto.createHash("sha256").update(seed).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** The schema of the exported columns: it changes when the columns or the generator version change. */
export const FOCUS_SCHEMA_ID = guid(`schema:${JSON.stringify(FOCUS_COLUMNS)}:${GENERATOR_VERSION}`);

/** The dataset instance of a workspace: the same on every export. */
const datasetInstanceIdOf = (workspace: Pick<Workspace, "id">) => guid(`dataset:${workspace.id}`);

function columnDefinitions() {
  return FOCUS_COLUMNS.map((column) => ({
    ColumnName: column.name,
    DataType: column.dataType,
    ...("stringMaxLength" in column ? { StringMaxLength: column.stringMaxLength, StringEncoding: "UTF-8" } : {}),
    ...("numericPrecision" in column ? { NumericPrecision: column.numericPrecision, NumberScale: column.numberScale } : {}),
    ...("providerTagPrefixes" in column ? { ProviderTagPrefixes: column.providerTagPrefixes } : {}),
    ...("deprecated" in column ? { Deprecated: true } : {}),
  }));
}

/** FOCUS 1.3 metadata of a range: generator, dataset instance, recency by UTC day, and schema. */
export async function focusMetadata(ctx: RequestContext, target: WorkspaceTarget, range: { from?: Date | null; to?: Date | null }) {
  const { workspace, window } = await focusRequest(ctx, target, range);
  const datasetInstanceId = datasetInstanceIdOf(workspace);
  const days = await lastChangeByUtcDay(prismaSql(ctx.db.prisma), workspace.id, window.from, window.to);
  const now = ctx.clock.now().getTime();
  const providerName = ctx.settings.focusProviderName;
  const lastUpdated = days.reduce<Date | null>((max, s) => (s.updated && (!max || s.updated > max) ? s.updated : max), null) ?? window.from;
  return {
    DataGenerator: { DataGenerator: providerName },
    DatasetInstance: [{ DatasetInstanceId: datasetInstanceId, DatasetInstanceName: `Cost and usage of ${workspace.name}`, FocusDatasetId: "CostAndUsage" }],
    Recency: [{
      DatasetInstanceId: datasetInstanceId,
      RecencyLastUpdated: focusTime(now),
      DatasetInstanceLastUpdated: focusTime(lastUpdated),
      // UTC days, the first and last cut to the window, so that the sectors cover exactly [from, to).
      TimeSectors: days.map(({ day, updated }) => {
        const start = Math.max(day.getTime(), window.from.getTime());
        const end = Math.min(day.getTime() + DAY_MS, window.to.getTime());
        return {
          TimeSectorStart: focusTime(start),
          TimeSectorEnd: focusTime(Math.ceil(end / 1000) * 1000), // whole seconds, still after the start
          TimeSectorComplete: end + LATE_USAGE_MS <= now,
          TimeSectorLastUpdated: focusTime(updated ?? start),
        };
      }),
    }],
    Schema: [{
      SchemaId: FOCUS_SCHEMA_ID,
      CreationDate: SCHEMA_CREATED,
      FocusVersion: "1.3",
      DataGeneratorVersion: GENERATOR_VERSION,
      DatasetInstanceId: datasetInstanceId,
      ColumnDefinition: columnDefinitions(),
    }],
  };
}
