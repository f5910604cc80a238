// FOCUS 1.3 metadata of an export, per dataset: data generator, dataset instance, recency (by UTC
// day for Cost and Usage, a time series; as a whole for Contract Commitment, which is not), and the
// schema of the columns that rows.ts writes.
import crypto from "node:crypto";
import type { Workspace } from "../../db/generated/client.js";
import { purchaseCommitments } from "../../store/credit-lots.js";
import { prismaSql } from "../../store/rows.js";
import { lastChangeByUtcDay } from "../../store/usage-records.js";
import type { RequestContext } from "../context.js";
import type { WorkspaceTarget } from "../workspaces.js";
import type { FocusColumn } from "./columns.js";
import { focusTime } from "./row-parts.js";
import { FOCUS_DATASETS, focusRequest, type FocusDataset } from "./rows.js";

const DAY_MS = 86_400_000;
const GENERATOR_VERSION = "0.3.0";
/** When these schemas (columns and generator version) were defined; a new schema gets a new date. */
const SCHEMA_CREATED = "2026-12-02T00:00:00Z";
/** Usage may be recorded a few minutes after it happened; a day is complete once that is over. */
const LATE_USAGE_MS = 5 * 60_000;

function guid(seed: string): string {
  const h = crypto.createHash("sha256").update(seed).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** A dataset's schema id: it changes when its columns or the generator version change. */
const schemaIdOf = (columns: readonly FocusColumn[]) => guid(`schema:${JSON.stringify(columns)}:${GENERATOR_VERSION}`);

export const FOCUS_SCHEMA_IDS = Object.fromEntries(
  Object.entries(FOCUS_DATASETS).map(([name, dataset]) => [name, schemaIdOf(dataset.columns)]),
) as Record<FocusDataset, string>;

/** The dataset instance of a workspace: the same on every export of that dataset. */
function datasetInstanceIdOf(workspace: Pick<Workspace, "id">, dataset: FocusDataset): string {
  return guid(dataset === "cost-and-usage" ? `dataset:${workspace.id}` : `dataset:${dataset}:${workspace.id}`);
}

function columnDefinitions(columns: readonly FocusColumn[]) {
  return columns.map((column) => ({
    ColumnName: column.name,
    DataType: column.dataType,
    ...(column.stringMaxLength !== undefined ? { StringMaxLength: column.stringMaxLength, StringEncoding: "UTF-8" } : {}),
    ...(column.numericPrecision !== undefined ? { NumericPrecision: column.numericPrecision, NumberScale: column.numberScale } : {}),
    ...(column.providerTagPrefixes ? { ProviderTagPrefixes: column.providerTagPrefixes } : {}),
    ...(column.deprecated ? { Deprecated: true } : {}),
  }));
}

/** FOCUS 1.3 metadata of one dataset over a range: generator, dataset instance, recency and schema. */
export async function focusMetadata(ctx: RequestContext, target: WorkspaceTarget, range: { from?: Date | null; to?: Date | null }, dataset: FocusDataset = "cost-and-usage") {
  const { workspace, window } = await focusRequest(ctx, target, range);
  const datasetInstanceId = datasetInstanceIdOf(workspace, dataset);
  const now = ctx.clock.now().getTime();
  const { focusDatasetId, title, columns } = FOCUS_DATASETS[dataset];
  return {
    DataGenerator: { DataGenerator: ctx.settings.focusProviderName },
    DatasetInstance: [{ DatasetInstanceId: datasetInstanceId, DatasetInstanceName: `${title} of ${workspace.name}`, FocusDatasetId: focusDatasetId }],
    Recency: [{
      DatasetInstanceId: datasetInstanceId,
      RecencyLastUpdated: focusTime(now),
      ...(dataset === "cost-and-usage" ? await usageRecency(ctx, workspace, window, now) : await commitmentRecency(ctx, workspace, window)),
    }],
    Schema: [{
      SchemaId: FOCUS_SCHEMA_IDS[dataset],
      CreationDate: SCHEMA_CREATED,
      FocusVersion: "1.3",
      DataGeneratorVersion: GENERATOR_VERSION,
      DatasetInstanceId: datasetInstanceId,
      ColumnDefinition: columnDefinitions(columns),
    }],
  };
}

/** A time series: one sector per UTC day, the first and last cut to the window, so that the sectors cover exactly [from, to). */
async function usageRecency(ctx: RequestContext, workspace: Workspace, window: { from: Date; to: Date }, now: number) {
  const days = await lastChangeByUtcDay(prismaSql(ctx.db.prisma), workspace.id, window.from, window.to);
  const lastUpdated = days.reduce<Date | null>((max, s) => (s.updated && (!max || s.updated > max) ? s.updated : max), null) ?? window.from;
  return {
    DatasetInstanceLastUpdated: focusTime(lastUpdated),
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
  };
}

/** Not a time series: complete as of now (a purchase is a commitment from the moment it is posted). */
async function commitmentRecency(ctx: RequestContext, workspace: Workspace, window: { from: Date; to: Date }) {
  const purchases = await purchaseCommitments(prismaSql(ctx.db.prisma), workspace.id, { window });
  const lastUpdated = purchases.reduce((max, p) => (p.createdAt > max ? p.createdAt : max), window.from);
  return { DatasetInstanceLastUpdated: focusTime(lastUpdated), DatasetInstanceComplete: true };
}
