// The operations GraphiQL opens with, one tab each: the gateway's manual by example. A test
// validates each against the schema and runs it.
export interface ExampleOperation {
  query: string;
  variables?: Record<string, unknown>;
}

export const DEFAULT_QUERY = `# Your credit balance and the workspaces this key can see. Run it with the ▶ button.
query Dashboard {
  viewer {
    kind
    scopes
    workspaces { slug name timeZone }
  }
  workspace {
    name
    monthlyUsageLimitUsd
    creditBalance { credits paidCredits freeCredits usdValue asOf }
  }
}
`;

export const EXAMPLE_OPERATIONS: ExampleOperation[] = [
  { query: DEFAULT_QUERY },
  {
    query: `# Cost per model and day over the last 30 days, in a time zone of your choice.
query UsageByModel($timeZone: String!) {
  workspace {
    usageRollup(period: LAST_30_DAYS, granularity: DAY, groupBy: [MODEL], timeZone: $timeZone) {
      timeZone
      totals { costUsd credits eventCount }
      rows { bucketStart group { model } costUsd credits totalTokens eventCount }
    }
  }
}
`,
    variables: { timeZone: "Asia/Kolkata" },
  },
  {
    query: `# The credit ledger, 20 rows a page: pass pageInfo.endCursor as $after for the next page.
query Ledger($after: String) {
  workspace {
    creditTransactions(first: 20, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      nodes { occurredAt type amount balanceAfter costUsd description }
    }
  }
}
`,
    variables: { after: null },
  },
  {
    query: `# Meter usage. Repeating an idempotency key answers DUPLICATE with the stored record.
mutation RecordUsage($records: [UsageRecordInput!]!) {
  recordUsage(records: $records) {
    ... on RecordUsagePayload {
      accepted duplicates rejected creditsDebited
      creditBalance { credits }
      results { status usageRecord { id credits costUsd } }
    }
    ... on ValidationError { message issues { path message } }
  }
}
`,
    variables: { records: [{ idempotencyKey: "graphiql-example-1", sku: "llm-gpt-4o-input", units: "1" }] },
  },
];
