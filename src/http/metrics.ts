// The gateway's metrics in Prometheus' text format (prom-client), served at /metrics. Every label
// value is bounded: route patterns rather than paths, operation names from a capped set, no ids.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import type { Database } from "../db/client.js";
import type { Meter } from "../domain/context.js";

const SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);
/** Distinct GraphQL operation names kept as labels; later ones count as "(other)". */
const MAX_OPERATION_NAMES = 200;

/** Node's process metrics, registered once per process however many apps it runs (tests run many). */
let processRegistry: Registry | null = null;
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

export interface Metrics {
  meter: Meter;
  observeHttp(labels: { route: string; method: string; status: number }, seconds: number): void;
  /** `executed` false: refused before execution (bad document, no credentials), counted without its name. */
  observeGraphQL(operationName: string | null | undefined, executed: boolean, result: "success" | "error", seconds: number): void;
  contentType: string;
  scrape(): Promise<string>;
}

/** For processes that serve no metrics (the command line). */
export const NO_METER: Meter = { usageRecords() {}, focusRowsExported() {}, rateLimited() {}, creditExpirations() {} };

/** The queues' lengths, read at scrape time: the ledger's writes and the API requests waiting their turn. */
export interface Queues {
  waitingWrites(): number;
  waitingRequests(): number;
}

export function createMetrics(db: Database, queues: Queues): Metrics {
  const registry = new Registry();
  const registers = [registry];
  const httpRequests = new Counter({ name: "billing_gateway_http_requests_total", help: "HTTP requests answered, by route pattern, method and status.", labelNames: ["route", "method", "status"], registers });
  const httpDuration = new Histogram({ name: "billing_gateway_http_request_duration_seconds", help: "Time to answer an HTTP request (to the last byte of a streamed export).", labelNames: ["route", "method", "status"], buckets: SECONDS, registers });
  const operations = new Counter({ name: "billing_gateway_graphql_operations_total", help: "GraphQL operations, by operation name and result.", labelNames: ["operation", "result"], registers });
  const operationDuration = new Histogram({ name: "billing_gateway_graphql_operation_duration_seconds", help: "Time to execute a GraphQL operation.", labelNames: ["operation", "result"], buckets: SECONDS, registers });
  const usageRecords = new Counter({ name: "billing_gateway_usage_records_total", help: "Usage records received, by outcome.", labelNames: ["outcome"], registers });
  const focusRows = new Counter({ name: "billing_gateway_focus_rows_exported_total", help: "FOCUS rows sent, by dataset and format (graphql for connections).", labelNames: ["dataset", "format"], registers });
  const rateLimited = new Counter({ name: "billing_gateway_rate_limited_total", help: "Requests refused with 429, by limit.", labelNames: ["limit"], registers });
  const expirations = new Counter({ name: "billing_gateway_credit_expirations_total", help: "EXPIRATION rows posted for credit lots past their expiry.", registers });
  new Gauge({
    name: "billing_gateway_db_pool_connections",
    help: "Database connections by state (idle, busy) and requests waiting for one; embedded PGlite has one connection.",
    labelNames: ["state"],
    registers,
    collect() {
      const counts = db.connections();
      for (const state of ["idle", "busy", "waiting"] as const) this.set({ state }, counts[state]);
    },
  });
  new Gauge({
    name: "billing_gateway_ledger_writes_waiting",
    help: "Ledger writes queued in this process behind an earlier write to the same workspace.",
    registers,
    collect() {
      this.set(queues.waitingWrites());
    },
  });
  new Gauge({
    name: "billing_gateway_requests_waiting",
    help: "API requests waiting in this process for their turn (REQUESTS_AT_ONCE are worked on at once).",
    registers,
    collect() {
      this.set(queues.waitingRequests());
    },
  });
  // Pre-declared so that a scrape shows every outcome from the start, at zero.
  for (const outcome of ["accepted", "duplicate", "rejected"]) usageRecords.inc({ outcome }, 0);
  rateLimited.inc({ limit: "focus" }, 0);

  const operationNames = new Set<string>();
  const operationLabel = (name: string | null | undefined): string => {
    if (!name) return "(anonymous)";
    if (operationNames.has(name)) return name;
    if (operationNames.size >= MAX_OPERATION_NAMES || !/^[_A-Za-z][_0-9A-Za-z]{0,99}$/.test(name)) return "(other)";
    operationNames.add(name);
    return name;
  };

  return {
    meter: {
      usageRecords: (outcome, count) => usageRecords.inc({ outcome }, count),
      focusRowsExported: (dataset, format, rows) => focusRows.inc({ dataset, format }, rows),
      rateLimited: (limit) => rateLimited.inc({ limit }),
      creditExpirations: (count) => expirations.inc(count),
    },
    observeHttp({ route, method, status }, seconds) {
      const labels = { route, method: METHODS.has(method) ? method : "OTHER", status: String(status) };
      httpRequests.inc(labels);
      httpDuration.observe(labels, seconds);
    },
    observeGraphQL(operationName, executed, result, seconds) {
      const labels = { operation: executed ? operationLabel(operationName) : "(not executed)", result };
      operations.inc(labels);
      operationDuration.observe(labels, seconds);
    },
    contentType: registry.contentType,
    scrape: () => Registry.merge([processMetrics(), registry]).metrics(),
  };
}
