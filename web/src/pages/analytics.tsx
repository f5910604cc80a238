// Analytics: usageRollup by any dimension and granularity, in any IANA time zone, as a chart and a table.
import { useEffect, useMemo, useState } from "preact/hooks";
import { request } from "../api";
import { graphql } from "../gql";
import type { AnalyticsPageQuery, Granularity, Period, RollupDimension } from "../gql/graphql";
import { formatDecimal, formatInstant, formatUsd } from "../time";
import { costSeries, groupName } from "./rollup";
import { ErrorNote, StackedBars, type PageProps } from "./shared";

const AnalyticsPage = graphql(`
  query AnalyticsPage($id: ID!, $period: Period!, $granularity: Granularity!, $groupBy: [RollupDimension!]!, $timeZone: String!) {
    workspace(id: $id) {
      usageRollup(period: $period, granularity: $granularity, groupBy: $groupBy, timeZone: $timeZone) {
        timeZone
        totals { costUsd credits eventCount }
        rows {
          bucketStart costUsd credits totalTokens eventCount
          group { model sku apiKeyId externalUserId externalProjectId workflowId trigger currency resourceKind }
        }
      }
    }
  }
`);

const DIMENSIONS: RollupDimension[] = ["MODEL", "SKU", "API_KEY", "EXTERNAL_USER", "EXTERNAL_PROJECT", "WORKFLOW", "TRIGGER", "CURRENCY", "RESOURCE_KIND"];
const GRANULARITIES: Granularity[] = ["HOUR", "DAY", "WEEK", "MONTH", "QUARTER", "ALL"];
const PERIODS: Period[] = ["LAST_24_HOURS", "LAST_7_DAYS", "LAST_30_DAYS", "MONTH_TO_DATE", "LAST_MONTH"];
const words = (value: string) => value.toLowerCase().replace(/_/g, " ");

export function Analytics({ workspace }: PageProps) {
  const [query, setQuery] = useState({ period: "LAST_30_DAYS" as Period, granularity: "DAY" as Granularity, dimension: "MODEL" as RollupDimension, timeZone: workspace.timeZone });
  const [zoneInput, setZoneInput] = useState(workspace.timeZone);
  const [data, setData] = useState<NonNullable<AnalyticsPageQuery["workspace"]>["usageRollup"] | null>(null);
  const [error, setError] = useState<Error | null>(null);
  useEffect(() => {
    let current = true;
    setError(null);
    request(AnalyticsPage, { id: workspace.id, period: query.period, granularity: query.granularity, groupBy: [query.dimension], timeZone: query.timeZone })
      .then((r) => current && setData(r.workspace?.usageRollup ?? null))
      .catch((e: Error) => current && setError(e));
    return () => { current = false; };
  }, [workspace.id, query]);
  const chart = useMemo(() => costSeries(data?.rows ?? [], query.timeZone, query.granularity === "HOUR" ? "yyyy-LL-dd HH:mm" : "yyyy-LL-dd"), [data, query]);
  return (
    <section>
      <h1>Analytics</h1>
      <div class="toolbar">
        <label>Period <select value={query.period} onChange={(e) => setQuery({ ...query, period: e.currentTarget.value as Period })}>{PERIODS.map((p) => <option value={p}>{words(p)}</option>)}</select></label>
        <label>By <select value={query.dimension} onChange={(e) => setQuery({ ...query, dimension: e.currentTarget.value as RollupDimension })}>{DIMENSIONS.map((d) => <option value={d}>{words(d)}</option>)}</select></label>
        <label>Every <select value={query.granularity} onChange={(e) => setQuery({ ...query, granularity: e.currentTarget.value as Granularity })}>{GRANULARITIES.map((g) => <option value={g}>{words(g)}</option>)}</select></label>
        <label>Time zone <input value={zoneInput} onInput={(e) => setZoneInput(e.currentTarget.value)} onChange={() => setQuery({ ...query, timeZone: zoneInput.trim() })} /></label>
      </div>
      <ErrorNote error={error} />
      <StackedBars title="Cost by bucket" labels={chart.labels} series={chart.series} />
      <table>
        <thead><tr><th>Bucket</th><th>{words(query.dimension)}</th><th class="num">Events</th><th class="num">Tokens</th><th class="num">Credits</th><th class="num">Cost</th></tr></thead>
        <tbody>
          {data?.rows.map((row) => (
            <tr>
              <td>{row.bucketStart ? formatInstant(row.bucketStart, query.timeZone) : "all"}</td><td>{groupName(row.group)}</td>
              <td class="num">{row.eventCount}</td><td class="num">{formatDecimal(row.totalTokens)}</td>
              <td class="num">{formatDecimal(row.credits)}</td><td class="num">{formatUsd(row.costUsd)}</td>
            </tr>
          ))}
        </tbody>
        {data && <tfoot><tr><td colSpan={2}>Total</td><td class="num">{data.totals.eventCount}</td><td /><td class="num">{formatDecimal(data.totals.credits)}</td><td class="num">{formatUsd(data.totals.costUsd)}</td></tr></tfoot>}
      </table>
    </section>
  );
}
