// Spending: this month's cost against the monthly limit (included and on-demand), and the daily
// cost by model.
import { useEffect, useMemo, useState } from "preact/hooks";
import { request } from "../api";
import { graphql } from "../gql";
import type { SpendingPageQuery } from "../gql/graphql";
import { formatUsd } from "../time";
import { costSeries } from "./rollup";
import { ErrorNote, StackedBars, type PageProps } from "./shared";

const SpendingPage = graphql(`
  query SpendingPage($id: ID!) {
    workspace(id: $id) {
      spending(period: MONTH_TO_DATE) { monthlyLimitUsd costUsd includedCostUsd onDemandCostUsd executionCount }
      usageRollup(period: MONTH_TO_DATE, granularity: DAY, groupBy: [MODEL]) { rows { bucketStart costUsd group { model } } }
    }
  }
`);

export function Spending({ workspace }: PageProps) {
  const [data, setData] = useState<SpendingPageQuery["workspace"] | null>(null);
  const [error, setError] = useState<Error | null>(null);
  useEffect(() => {
    request(SpendingPage, { id: workspace.id }).then((r) => setData(r.workspace)).catch(setError);
  }, [workspace.id]);
  const chart = useMemo(() => costSeries(data?.usageRollup?.rows ?? [], workspace.timeZone), [data, workspace.timeZone]);
  const spend = data?.spending;
  return (
    <section>
      <h1>Spending</h1>
      <ErrorNote error={error} />
      <div class="cards">
        <div class="card"><span>Monthly limit</span><strong>{spend ? formatUsd(spend.monthlyLimitUsd) : "…"}</strong></div>
        <div class="card"><span>Included</span><strong>{spend ? formatUsd(spend.includedCostUsd) : "…"}</strong></div>
        <div class="card"><span>On-Demand</span><strong>{spend ? formatUsd(spend.onDemandCostUsd) : "…"}</strong></div>
        <div class="card"><span>This month</span><strong>{spend ? formatUsd(spend.costUsd) : "…"}</strong><small>{spend ? `${spend.executionCount} executions` : ""}</small></div>
      </div>
      <h2>Daily cost by model</h2>
      <p class="lead">Metered usage records this month, by the model they name ("(none)": sandboxes, computers, storage).</p>
      <StackedBars title="Daily cost by model" labels={chart.labels} series={chart.series} />
    </section>
  );
}
