// What every page shares: its props, the error note, and a stacked bar chart (Chart.js).
import { BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, Tooltip } from "chart.js";
import { useEffect, useRef } from "preact/hooks";
import type { ApiError } from "../api";

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Legend, Tooltip);

export interface WorkspaceChoice {
  /** The GraphQL global id. */
  id: string;
  /** The UUID, as REST routes and URLs name it. */
  workspaceId: string;
  slug: string;
  name: string;
  timeZone: string;
}

export interface PageProps {
  workspace: WorkspaceChoice;
}

/** The arguments of one page of a connection: forwards after a cursor, or backwards before one. */
export type PageArgs = { first?: number; after?: string; last?: number; before?: string };

interface PageInfo {
  hasNextPage: boolean;
  hasPreviousPage: boolean;
  startCursor?: string | null;
  endCursor?: string | null;
}

/** Prev / Next through a connection, `size` rows at a time, by its cursors. */
export function Pager({ pageInfo, size, onPage }: { pageInfo: PageInfo | undefined; size: number; onPage: (page: PageArgs) => void }) {
  return (
    <div class="pager">
      <button disabled={!pageInfo?.hasPreviousPage} onClick={() => onPage({ last: size, before: pageInfo!.startCursor! })}>Prev</button>
      <button disabled={!pageInfo?.hasNextPage} onClick={() => onPage({ first: size, after: pageInfo!.endCursor! })}>Next</button>
    </div>
  );
}

export function ErrorNote({ error }: { error: Error | null }) {
  if (!error) return null;
  return <p class="error" role="alert" data-code={(error as ApiError).code}>{error.message}</p>;
}

export interface Series {
  label: string;
  /** One value per label of the chart, as decimal strings. */
  values: string[];
}

const COLORS = ["#4f46e5", "#0891b2", "#16a34a", "#ca8a04", "#dc2626", "#9333ea", "#db2777", "#64748b"];

/** Stacked bars: one bar per label, one colour per series. Values are drawn, never summed here. */
export function StackedBars({ labels, series, title }: { labels: string[]; series: Series[]; title: string }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const chart = new Chart(canvas.current!, {
      type: "bar",
      data: {
        labels,
        datasets: series.map((s, i) => ({ label: s.label, data: s.values.map(Number), backgroundColor: COLORS[i % COLORS.length] })),
      },
      options: { responsive: true, maintainAspectRatio: false, animation: false, scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } } },
    });
    return () => chart.destroy();
  }, [labels, series]);
  return <div class="chart"><canvas ref={canvas} aria-label={title} role="img" /></div>;
}
