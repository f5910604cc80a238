// The OpenAPI 3.1 description of every REST route, served at /openapi.json. A test checks that its
// paths are exactly the routes, that documented parameters are validated, and that real responses
// match the documented schemas.
const num = { type: "number" } as const;
const str = { type: "string" } as const;
const nullable = (schema: object) => ({ anyOf: [schema, { type: "null" }] });
const int = (minimum?: number, maximum?: number) => ({ type: "integer", ...(minimum !== undefined ? { minimum } : {}), ...(maximum !== undefined ? { maximum } : {}) });
const query = (name: string, schema: object, description: string, required = false) => ({ name, in: "query", required, description, schema });
const workspaceIdParam = query("workspaceId", { type: "string", format: "uuid" }, "Dashboard sessions (and organization keys) name the workspace; workspace keys omit it.");
const object = (properties: Record<string, object>, required = Object.keys(properties)) => ({ type: "object", properties, required });

const errorResponse = (description: string) => ({
  description,
  content: {
    "application/json": {
      schema: object({ error: object({ code: str, message: str, param: str }, ["code", "message"]) }),
    },
  },
});
const standardErrors = {
  "400": errorResponse("A parameter is invalid; `param` names it."),
  "401": errorResponse("Missing, malformed, unknown, expired or revoked credentials (with WWW-Authenticate)."),
  "403": errorResponse("The credential lacks the route's scope."),
  "404": errorResponse("Unknown workspace, or one the caller may not see."),
};
const json = (schema: object, description = "OK") => ({ description, content: { "application/json": { schema } } });
const secured = (scope: string) => ({ security: [{ bearer: [scope] }] });

const transaction = object({
  id: str, type: { enum: ["grant", "purchase", "usage", "refund", "adjustment", "expiration"] }, amount: num, balanceAfter: num,
  moneyAmount: nullable(num), moneyCurrency: nullable(str), description: str, usageRecordId: nullable(str), executionId: nullable(str),
  expiresAt: nullable(str), createdAt: { type: "string", format: "date-time" },
});
const balance = { workspaceId: str, balance: num, balanceUsd: num, creditPriceUsd: num, asOf: { type: "string", format: "date-time" } };
const activityDates = [
  query("startDate", { type: "string", pattern: "^\\d{4}-\\d{2}-\\d{2}$" }, "Inclusive, YYYY-MM-DD.", true),
  query("endDate", { type: "string", pattern: "^\\d{4}-\\d{2}-\\d{2}$" }, "Inclusive, YYYY-MM-DD.", true),
  query("granularity", { enum: ["day", "week", "month", "quarter"], default: "day" }, "Bucket size; day spans at most 90 days."),
];
const lines = { linesAdded: int(), linesRemoved: int(), totalLines: int(), linesAccepted: int() };
const activityMetrics = { ...lines, events: int(), users: int(), userPrompts: int() };
const executionWindow = [
  query("preset", { enum: ["1d", "7d", "30d", "mtd", "last_month"] }, "A preset window; or pass from/to."),
  query("from", str, "ISO 8601 or epoch milliseconds (default: 30 days ago)."),
  query("to", str, "ISO 8601 or epoch milliseconds (default: now)."),
  workspaceIdParam,
];
const focusRange = [
  query("from", { type: "string", pattern: "^\\d+$" }, "Start, epoch milliseconds (inclusive).", true),
  query("to", { type: "string", pattern: "^\\d+$" }, "End, epoch milliseconds (exclusive); at most 365 days after from.", true),
];
const usageRecordIn = object(
  { idempotencyKey: str, sku: str, units: { type: ["string", "number"] }, currency: { enum: ["USD", "VCU", "DIEM", "BUNDLED_CREDITS", "CREDITS"] },
    occurredAt: str, notes: str, requestId: str, inferenceExecutionTimeMs: int(0), promptTokens: int(0), completionTokens: int(0),
    cacheReadTokens: int(0), cacheWriteTokens: int(0), model: str, externalUserId: str, externalProjectId: str,
    resourceKind: { enum: ["SANDBOX", "COMPUTER", "STORAGE", "INFERENCE"] }, resourceId: str },
  ["idempotencyKey", "sku", "units"],
);

export const OPENAPI_DOCUMENT = {
  openapi: "3.1.0",
  info: {
    title: "Billing gateway REST compatibility routes",
    version: "0.1.0",
    description: "Routes reproducing five source APIs over the gateway's credit ledger and usage store. Credits and money are exact decimal JSON numbers.",
  },
  components: { securitySchemes: { bearer: { type: "http", scheme: "bearer", description: "A bgk_ API key or a dashboard session JWT." } } },
  paths: {
    "/api/mcp/credits/balance": {
      get: { operationId: "creditBalance", summary: "Current credit balance", ...secured("read:billing"), parameters: [workspaceIdParam],
        responses: { "200": json(object(balance)), ...standardErrors } },
    },
    "/api/mcp/credits/transactions": {
      get: { operationId: "creditTransactions", summary: "Recent credit transactions, newest first", ...secured("read:billing"),
        parameters: [query("limit", { ...int(1, 200), default: 50 }, "How many (1–200)."), workspaceIdParam],
        responses: { "200": json(object({ workspaceId: str, limit: int(), transactions: { type: "array", items: transaction } })), ...standardErrors } },
    },
    "/api/mcp/billing/summary": {
      get: { operationId: "billingSummary", summary: "Balance and the most recent transactions", ...secured("read:billing"),
        parameters: [query("limit", { ...int(1, 200), default: 10 }, "How many transactions (1–200)."), workspaceIdParam],
        responses: { "200": json(object({ ...balance, recentTransactions: { type: "array", items: transaction } })), ...standardErrors } },
    },
    "/api/v1/billing/usage": {
      get: { operationId: "billingUsage", summary: "Paginated usage rows (JSON, or CSV when Accept prefers text/csv)", ...secured("read:billing"),
        parameters: [
          query("currency", { enum: ["USD", "VCU", "DIEM", "BUNDLED_CREDITS"] }, "Filter by currency."),
          query("startDate", { type: "string", format: "date-time" }, "ISO 8601, inclusive."),
          query("endDate", { type: "string", format: "date-time" }, "ISO 8601, inclusive."),
          query("limit", { ...int(1, 500), default: 200 }, "Rows per page."),
          query("page", { ...int(1), default: 1 }, "Page number."),
          query("sortOrder", { enum: ["asc", "desc"], default: "desc" }, "Order by timestamp."),
          workspaceIdParam,
        ],
        responses: {
          "200": {
            description: "A page of usage rows.",
            content: {
              "application/json": { schema: object({
                data: { type: "array", items: object({ timestamp: str, sku: str, pricePerUnitUsd: num, unit: num, amount: num, currency: str, notes: nullable(str),
                  inferenceDetails: nullable(object({ requestId: nullable(str), inferenceExecutionTime: nullable(int()), promptTokens: nullable(int()), completionTokens: nullable(int()) })) }) },
                pagination: object({ page: int(), limit: int(), total: int(), totalPages: int() }),
              }) },
              "text/csv": { schema: str },
            },
          },
          ...standardErrors,
        } },
    },
    "/api/v1/billing/usage/analytics": {
      get: { operationId: "billingUsageAnalytics", summary: "Usage by date, model and API key, cached 10 minutes", ...secured("read:billing"),
        parameters: [
          query("startDate", { type: "string", format: "date-time" }, "ISO 8601 (default: 30 days before endDate)."),
          query("endDate", { type: "string", format: "date-time" }, "ISO 8601, inclusive (default: now)."),
          query("currency", { enum: ["USD", "VCU", "DIEM", "BUNDLED_CREDITS"] }, "Filter by currency."),
          workspaceIdParam,
        ],
        responses: { "200": json(object({
          workspaceId: str, startDate: str, endDate: str, computedAt: str, cached: { type: "boolean" },
          totals: object({ amountUsd: num, credits: num, requests: int() }),
          byDate: { type: "array", items: object({ date: str, amountUsd: num, credits: num, requests: int(), promptTokens: int(), completionTokens: int() }) },
          byModel: { type: "array", items: object({ model: nullable(str), amountUsd: num, credits: num, requests: int(), promptTokens: int(), completionTokens: int() }) },
          byApiKey: { type: "array", items: object({ apiKeyId: nullable(str), amountUsd: num, credits: num, requests: int(), promptTokens: int(), completionTokens: int() }) },
        })), ...standardErrors } },
    },
    "/api/v1/usage": {
      get: { operationId: "usageRollup", summary: "Usage aggregated per external user, project or workspace, most expensive first", ...secured("read:billing"),
        parameters: [
          query("group_by", { enum: ["external_user_id", "external_project_id", "workspace_id"], default: "external_user_id" }, "Dimension."),
          query("period", { enum: ["7d", "30d", "mtd", "custom"], default: "30d" }, "Window; custom needs start and end."),
          query("start", { type: "string", format: "date-time" }, "ISO 8601 start (period=custom)."),
          query("end", { type: "string", format: "date-time" }, "ISO 8601 end (period=custom)."),
          workspaceIdParam,
        ],
        responses: {
          "200": json(object({ period_start: str, period_end: str, results: { type: "array", items: { type: "object",
            properties: { sandbox_seconds: num, computer_seconds: num, storage_gb_hours: num, credit_cents: num },
            required: ["sandbox_seconds", "computer_seconds", "storage_gb_hours", "credit_cents"] } } })),
          "422": errorResponse("`invalid group_by`, `invalid period` or `invalid_custom_range`."),
          ...standardErrors,
        } },
    },
    "/api/v1/metrics/organization": {
      get: { operationId: "organizationMetrics", summary: "Code-generation metrics of an organization, with a per-space breakdown", ...secured("read:billing"),
        parameters: [...activityDates, query("organizationId", { type: "string", format: "uuid" }, "For sessions; organization keys omit it.")],
        responses: { "200": json(object({
          data: { type: "array", items: object({ period: str, metrics: object({ ...activityMetrics, spaces: { type: "array", items: object({ spaceId: str, spaceName: str, ...lines }) } }) }) },
          summary: object({ totalLinesGenerated: int(), totalLinesAccepted: int(), users: int(), totalUserPrompts: int() }),
        })), ...standardErrors } },
    },
    "/api/v1/metrics/spaces/{spaceId}": {
      get: { operationId: "spaceMetrics", summary: "Code-generation metrics of one space", ...secured("read:billing"),
        parameters: [{ name: "spaceId", in: "path", required: true, description: "The space (workspace) id.", schema: { type: "string" } }, ...activityDates],
        responses: { "200": json(object({
          data: { type: "array", items: object({ period: str, metrics: object({ ...activityMetrics,
            tokens: object({ total: num, input: num, output: num, cacheWrite: num, cacheInput: num }) }) }) },
          summary: object({ totalLinesGenerated: int(), totalLinesAccepted: int(), totalUsers: int(), totalUserPrompts: int() }),
        })), ...standardErrors } },
    },
    "/api/billing/usage": {
      get: { operationId: "executionUsage", summary: "Per-execution usage with Included/On-Demand type, 100 a page", ...secured("read:billing"),
        parameters: [
          ...executionWindow,
          query("limit", { ...int(1, 100), default: 100 }, "Rows per page."),
          query("starting_after", { type: "string", pattern: "^\\d+$" }, "Cursor: the page after this execution id."),
          query("ending_before", { type: "string", pattern: "^\\d+$" }, "Cursor: the page before this execution id."),
        ],
        responses: { "200": json(object({
          object: { const: "list" }, url: str, workspaceId: str, from: str, to: str, has_more: { type: "boolean" },
          next_cursor: nullable(str), prev_cursor: nullable(str),
          data: { type: "array", items: object({ id: str, date: str, type: { enum: ["Included", "On-Demand"] }, workflow: object({ id: str, name: str }),
            trigger: str, model: str, tokens: int(), cost: num, onDemandCost: num, monthToDateCost: num }) },
        })), ...standardErrors } },
    },
    "/api/billing/usage/export": {
      get: { operationId: "executionUsageExport", summary: "CSV of the same rows (Date,Execution,Workflow,Trigger,Model,Tokens,Cost (USD)), at most 10,000", ...secured("read:billing"),
        parameters: executionWindow,
        responses: { "200": { description: "usage-<workspaceId>-<YYYY-MM-DD>.csv; X-Export-Truncated says whether the cap cut the range.", content: { "text/csv": { schema: str } } }, ...standardErrors } },
    },
    "/api/billing/focus-export": {
      get: { operationId: "focusExport", summary: "FOCUS 1.3 cost-and-usage rows of a range, as a JSONL or CSV attachment", ...secured("read:billing"),
        parameters: [...focusRange, query("format", { enum: ["jsonl", "csv"], default: "jsonl" }, "File format."), workspaceIdParam],
        responses: {
          "200": { description: "focus-export.jsonl (application/jsonl) or focus-export.csv (text/csv), streamed, Cache-Control: no-store.",
            headers: { "X-Focus-Schema-Id": { description: "The SchemaId of the metadata that describes these columns.", schema: str } },
            content: { "application/jsonl": { schema: str }, "text/csv": { schema: str } } },
          "429": errorResponse("More than FOCUS_RATE_LIMIT_PER_MINUTE requests a minute (10 by default); Retry-After says when to retry."),
          ...standardErrors,
        } },
    },
    "/api/billing/focus-metadata": {
      get: { operationId: "focusMetadata", summary: "FOCUS 1.3 metadata of a range: data generator, dataset instance, recency and schema", ...secured("read:billing"),
        parameters: [...focusRange, workspaceIdParam],
        responses: { "200": json(object({
          DataGenerator: object({ DataGenerator: str }),
          DatasetInstance: { type: "array", items: object({ DatasetInstanceId: str, DatasetInstanceName: str, FocusDatasetId: { const: "CostAndUsage" } }) },
          Recency: { type: "array", items: object({ DatasetInstanceId: str, RecencyLastUpdated: str, DatasetInstanceLastUpdated: str,
            TimeSectors: { type: "array", items: object({ TimeSectorStart: str, TimeSectorEnd: str, TimeSectorComplete: { type: "boolean" }, TimeSectorLastUpdated: str }) } }) },
          Schema: { type: "array", items: object({ SchemaId: str, CreationDate: str, FocusVersion: { const: "1.3" }, DataGeneratorVersion: str, DatasetInstanceId: str,
            ColumnDefinition: { type: "array", items: object({ ColumnName: str, DataType: { enum: ["STRING", "DECIMAL", "DATETIME", "JSON"] } }) } }) },
        })), "429": errorResponse("Counted with focus-export against the same per-minute budget."), ...standardErrors } },
    },
    "/api/v1/events": {
      post: { operationId: "ingestEvents", summary: "Record up to 1,000 usage records (JSON array or NDJSON)", ...secured("write:usage"),
        parameters: [workspaceIdParam],
        requestBody: { required: true, content: { "application/json": { schema: { type: "array", minItems: 1, maxItems: 1000, items: usageRecordIn } },
          "application/x-ndjson": { schema: str } } },
        responses: { "200": json(object({ workspaceId: str, accepted: int(), duplicates: int(), rejected: int(), creditsDebited: num,
          results: { type: "array", items: object({ index: int(), idempotencyKey: nullable(str), status: { enum: ["accepted", "duplicate", "rejected"] } }, ["index", "status"]) } })),
          "413": errorResponse("The body is over 5 MB."), ...standardErrors } },
    },
  },
} as const;
