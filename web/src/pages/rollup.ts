// Rollup rows (bucket × group) as a chart's labels and series, and a group's name.
import { formatInstant } from "../time";
import type { Series } from "./shared";

export interface RollupRow {
  bucketStart?: string | null;
  costUsd: string;
  group: Record<string, string | null | undefined>;
}

export const groupName = (group: RollupRow["group"]) =>
  Object.entries(group).filter(([key, value]) => key !== "__typename" && value != null).map(([, value]) => value).join(" · ") || "(none)";

/** Cost per bucket and group, as decimal strings (a missing pair is "0"). */
export function costSeries(rows: RollupRow[], timeZone: string, format = "yyyy-LL-dd"): { labels: string[]; series: Series[] } {
  const buckets = [...new Set(rows.map((r) => r.bucketStart ?? ""))].sort();
  const groups = [...new Set(rows.map((r) => groupName(r.group)))].sort();
  const cost = new Map(rows.map((r) => [`${r.bucketStart ?? ""}|${groupName(r.group)}`, r.costUsd]));
  const labels = buckets.map((b) => (b ? formatInstant(b, timeZone).slice(0, format.length) : "all"));
  return { labels, series: groups.map((g) => ({ label: g, values: buckets.map((b) => cost.get(`${b}|${g}`) ?? "0") })) };
}
