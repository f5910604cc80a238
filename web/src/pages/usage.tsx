// Usage (/workspace/<id>/usage), as the 004 document describes it: presets and a custom range,
// one row per execution (Date, Type, Workflow, Model, Tokens, Cost), 100 rows a page with cursors,
// and Export CSV of the same range from /api/billing/usage/export.
import { useEffect, useState } from "preact/hooks";
import { download, request } from "../api";
import { graphql } from "../gql";
import type { UsagePageQuery } from "../gql/graphql";
import { customWindow, formatInstant, formatUsd, presetWindow, PRESET_LABELS, PRESETS, type Preset, type Window } from "../time";
import { ErrorNote, Pager, type PageArgs, type PageProps } from "./shared";

const UsagePage = graphql(`
  query UsagePage($id: ID!, $from: DateTime!, $to: DateTime!, $first: Int, $after: String, $last: Int, $before: String) {
    workspace(id: $id) {
      executions(from: $from, to: $to, first: $first, after: $after, last: $last, before: $before) {
        pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
        nodes { id startedAt billingType model totalTokens costUsd workflow { name } }
      }
    }
  }
`);

const PAGE = 100;
type Executions = NonNullable<NonNullable<UsagePageQuery["workspace"]>["executions"]>;

export function Usage({ workspace }: PageProps) {
  const [preset, setPreset] = useState<Preset | "custom">("30d");
  const [custom, setCustom] = useState({ from: "", to: "" });
  const [window, setWindow] = useState<Window>(() => presetWindow("30d", workspace.timeZone));
  const [page, setPage] = useState<PageArgs>({ first: PAGE });
  const [data, setData] = useState<Executions | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const [exporting, setExporting] = useState(false);

  useEffect(() => {
    let current = true;
    setError(null);
    request(UsagePage, { id: workspace.id, from: window.from.toISOString(), to: window.to.toISOString(), ...page })
      .then((result) => current && setData(result.workspace?.executions ?? null))
      .catch((e: Error) => current && setError(e));
    return () => { current = false; };
  }, [workspace.id, window, page]);

  const choose = (next: Preset) => {
    setPreset(next);
    setWindow(presetWindow(next, workspace.timeZone));
    setPage({ first: PAGE });
  };
  const applyCustom = () => {
    const range = customWindow(custom.from, custom.to, workspace.timeZone);
    if (!range) return setError(new Error("Pick a start date on or before the end date."));
    setPreset("custom");
    setWindow(range);
    setPage({ first: PAGE });
  };
  const exportCsv = async () => {
    setExporting(true);
    try {
      await download(`/api/billing/usage/export?from=${window.from.getTime()}&to=${window.to.getTime()}&workspaceId=${workspace.workspaceId}`);
    } catch (e) {
      setError(e as Error);
    } finally {
      setExporting(false);
    }
  };

  return (
    <section>
      <h1>Usage</h1>
      <p class="lead">Every workflow execution with its tokens, model and cost.</p>
      <div class="toolbar" role="toolbar">
        {PRESETS.map((p) => (
          <button key={p} class={preset === p ? "active" : ""} aria-pressed={preset === p} onClick={() => choose(p)}>{PRESET_LABELS[p]}</button>
        ))}
        <span class="custom">
          <input type="date" aria-label="From" value={custom.from} onInput={(e) => setCustom({ ...custom, from: e.currentTarget.value })} />
          <input type="date" aria-label="To" value={custom.to} onInput={(e) => setCustom({ ...custom, to: e.currentTarget.value })} />
          <button class={preset === "custom" ? "active" : ""} onClick={applyCustom}>Apply</button>
        </span>
        <button class="export" onClick={exportCsv} disabled={exporting}>{exporting ? "Exporting…" : "Export CSV"}</button>
      </div>
      <ErrorNote error={error} />
      <table class="usage">
        <thead><tr><th>Date</th><th>Type</th><th>Workflow</th><th>Model</th><th class="num">Tokens</th><th class="num">Cost</th></tr></thead>
        <tbody>
          {data?.nodes.map((row) => (
            <tr key={row.id} data-execution={row.id} data-started={row.startedAt}>
              <td>{formatInstant(row.startedAt, workspace.timeZone)}</td>
              <td>{row.billingType === "INCLUDED" ? "Included" : "On-Demand"}</td>
              <td>{row.workflow.name}</td>
              <td>{row.model}</td>
              <td class="num">{row.totalTokens.toLocaleString("en-US")}</td>
              <td class="num" data-cost={row.costUsd}>{row.billingType === "INCLUDED" ? "Included" : formatUsd(row.costUsd)}</td>
            </tr>
          ))}
          {data && data.nodes.length === 0 && <tr><td colSpan={6} class="empty">No executions in this range.</td></tr>}
        </tbody>
      </table>
      <Pager pageInfo={data?.pageInfo} size={PAGE} onPage={setPage} />
    </section>
  );
}
