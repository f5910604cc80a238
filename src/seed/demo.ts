// The demo data that the first `npm start` loads into an empty database: two organizations, four
// workspaces, a price list, 90 days of usage (about 50,000 records) with the ledger that pays for
// it, workflow executions and code-generation activity. Deterministic: the same seed and `now`
// give the same rows. Everything is written in one transaction, so a failed seed leaves nothing.
import { Prisma } from "../db/generated/client.js";
import type { Database, SqlSession } from "../db/client.js";
import { generateApiKeySecret } from "../auth/api-key-secret.js";
import { rebuildAggregates } from "../store/aggregates.js";
import { insertRows } from "../store/bulk-insert.js";
import { sessionSql } from "./session-sql.js";
import { insertPriceList, LLM_MODELS, PRICE_LIST } from "./price-list.js";
import { Random } from "./random.js";
import { generateUsage, type UsageSummary } from "./usage-generator.js";

const DAY_MS = 86_400_000;

export interface DemoOptions {
  /** End of the generated period (the caller's clock). */
  now: Date;
  days?: number;
  usageRecords?: number;
  seed?: number;
}

export interface DemoResult {
  /** Full secret of the demo workspace's admin key (acme-prod); shown to the operator once. */
  demoApiKey: string;
  workspaces: { slug: string; id: string; usage: UsageSummary }[];
}

const ORGS = [
  { slug: "acme", name: "Acme AI", timeZone: "America/New_York" },
  { slug: "globex", name: "Globex Labs", timeZone: "Europe/Berlin" },
];

const WORKSPACES = [
  { slug: "acme-prod", org: "acme", name: "Acme Production", timeZone: "America/New_York", limit: "150", price: "0.01", share: 0.4 },
  { slug: "acme-research", org: "acme", name: "Acme Research", timeZone: "UTC", limit: "60", price: "0.01", share: 0.2 },
  { slug: "globex-main", org: "globex", name: "Globex Main", timeZone: "Europe/Berlin", limit: "120", price: "0.008", share: 0.3 },
  { slug: "globex-sandbox", org: "globex", name: "Globex Sandbox", timeZone: "Asia/Tokyo", limit: "20", price: "0.01", share: 0.1 },
];

const USERS = [
  { email: "alice@acme.test", name: "Alice Ortega", roles: { "acme-prod": "OWNER", "acme-research": "ADMIN" } },
  { email: "bob@acme.test", name: "Bob Lindqvist", roles: { "acme-prod": "MEMBER", "acme-research": "VIEWER" } },
  { email: "carol@globex.test", name: "Carol Nakamura", roles: { "globex-main": "OWNER", "globex-sandbox": "OWNER" } },
  { email: "dave@globex.test", name: "Dave Okafor", roles: { "globex-main": "VIEWER" } },
] as const;

const WORKFLOWS: Record<string, { name: string; triggers: string[] }[]> = {
  "acme-prod": [
    { name: "Support ticket triage", triggers: ["webhook", "api"] },
    { name: "Nightly report digest", triggers: ["schedule"] },
  ],
  "acme-research": [
    { name: "Paper summarizer", triggers: ["manual", "api"] },
    { name: "Eval harness", triggers: ["schedule", "manual"] },
  ],
  "globex-main": [
    { name: "Sales email drafter", triggers: ["chat", "api"] },
    { name: "Invoice extraction", triggers: ["webhook"] },
  ],
  "globex-sandbox": [
    { name: "Prototype agent", triggers: ["chat", "manual"] },
    { name: "Slack answer bot", triggers: ["webhook", "chat"] },
  ],
};

/** The demo ends at the start of the hour of `now`. */
export const demoEnd = (now: Date) => new Date(Math.floor(now.getTime() / 3_600_000) * 3_600_000);

export async function isDatabaseEmpty(db: Database): Promise<boolean> {
  return (await db.prisma.organization.count()) === 0;
}

export async function seedDemo(db: Database, options: DemoOptions): Promise<DemoResult> {
  const now = options.now;
  const days = options.days ?? 90;
  const totalRecords = options.usageRecords ?? 50_000;
  const rng = new Random(options.seed ?? 20261122);
  // The period ends now: nothing is dated in the future.
  const start = new Date(now.getTime() - days * DAY_MS);

  return db.withSession(async (session) => {
    await session.exec("BEGIN");
    try {
      const result = await seedInSession(session, rng, { now, days, totalRecords, start });
      await session.exec("COMMIT");
      return result;
    } catch (error) {
      await session.exec("ROLLBACK");
      throw error;
    }
  });
}

async function seedInSession(
  session: SqlSession,
  rng: Random,
  plan: { now: Date; days: number; totalRecords: number; start: Date },
): Promise<DemoResult> {
  const uuid = () => {
    const h = rng.hex(32);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
  };
  const createdAt = plan.start;

  await insertPriceList(session);

  const orgIds = new Map(ORGS.map((org) => [org.slug, uuid()]));
  await insertRows(
    sessionSql(session),
    "Organization",
    [{ name: "id", type: "uuid" }, { name: "slug", type: "text" }, { name: "name", type: "text" }, { name: "timeZone", type: "text" }, { name: "createdAt", type: "timestamptz" }],
    ORGS.map((org) => [orgIds.get(org.slug), org.slug, org.name, org.timeZone, createdAt]),
  );

  const workspaceIds = new Map(WORKSPACES.map((ws) => [ws.slug, uuid()]));
  await insertRows(
    sessionSql(session),
    "Workspace",
    [
      { name: "id", type: "uuid" }, { name: "organizationId", type: "uuid" }, { name: "slug", type: "text" },
      { name: "name", type: "text" }, { name: "timeZone", type: "text" }, { name: "monthlyLimitUsd", type: "numeric" },
      { name: "creditPriceUsd", type: "numeric" }, { name: "createdAt", type: "timestamptz" },
    ],
    WORKSPACES.map((ws) => [workspaceIds.get(ws.slug), orgIds.get(ws.org), ws.slug, ws.name, ws.timeZone, ws.limit, ws.price, createdAt]),
  );

  const userIds = USERS.map(() => uuid());
  await insertRows(
    sessionSql(session),
    "User",
    [{ name: "id", type: "uuid" }, { name: "email", type: "text" }, { name: "name", type: "text" }, { name: "createdAt", type: "timestamptz" }],
    USERS.map((user, i) => [userIds[i], user.email, user.name, createdAt]),
  );
  await insertRows(
    sessionSql(session),
    "Membership",
    [{ name: "userId", type: "uuid" }, { name: "workspaceId", type: "uuid" }, { name: "role", type: '"MemberRole"' }],
    USERS.flatMap((user, i) => Object.entries(user.roles).map(([slug, role]) => [userIds[i], workspaceIds.get(slug), role])),
  );

  // Keys: an admin key per workspace (acme-prod's is the demo key) and a read-only and an ingest key.
  let demoApiKey = "";
  const keyIdsByWorkspace = new Map<string, string[]>();
  const keyRows: unknown[][] = [];
  for (const ws of WORKSPACES) {
    const wsId = workspaceIds.get(ws.slug)!;
    const keys = [
      { name: "Admin key", scopes: ["read:billing", "write:usage", "admin"] },
      { name: "Dashboard (read only)", scopes: ["read:billing"] },
      { name: "Usage ingestion", scopes: ["write:usage"] },
    ];
    const ids: string[] = [];
    for (const key of keys) {
      const id = uuid();
      const secret = generateApiKeySecret();
      if (ws.slug === "acme-prod" && key.name === "Admin key") demoApiKey = secret.key;
      ids.push(id);
      keyRows.push([id, key.name, secret.hint, secret.hash, key.scopes, wsId, createdAt]);
    }
    keyIdsByWorkspace.set(ws.slug, ids);
  }
  for (const row of keyRows) {
    await session.query(
      `INSERT INTO "ApiKey" ("id", "name", "hint", "secretHash", "scopes", "workspaceId", "createdAt") VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      row,
    );
  }

  const summaries: DemoResult["workspaces"] = [];
  for (const ws of WORKSPACES) {
    const workspaceId = workspaceIds.get(ws.slug)!;
    const usage = await generateUsage(
      session,
      {
        workspaceId,
        slug: ws.slug,
        creditPriceUsd: ws.price,
        apiKeyIds: keyIdsByWorkspace.get(ws.slug)!.slice(0, 1).concat(keyIdsByWorkspace.get(ws.slug)!.slice(2)),
        start: plan.start,
        days: plan.days,
        records: Math.round(plan.totalRecords * ws.share),
        topUpCredits: 20_000,
        skus: PRICE_LIST,
      },
      rng,
    );
    await insertExecutions(session, rng, workspaceId, ws.slug, plan, uuid);
    await insertActivity(session, rng, workspaceId, ws.slug, plan);
    await rebuildAggregates(sessionSql(session), workspaceId);
    summaries.push({ slug: ws.slug, id: workspaceId, usage });
  }
  return { demoApiKey, workspaces: summaries };
}

async function insertExecutions(
  session: SqlSession,
  rng: Random,
  workspaceId: string,
  slug: string,
  plan: { start: Date; days: number },
  uuid: () => string,
): Promise<void> {
  const workflows = WORKFLOWS[slug]!.map((wf) => ({ ...wf, id: uuid() }));
  await insertRows(
    sessionSql(session),
    "Workflow",
    [{ name: "id", type: "uuid" }, { name: "workspaceId", type: "uuid" }, { name: "name", type: "text" }, { name: "createdAt", type: "timestamptz" }],
    workflows.map((wf) => [wf.id, workspaceId, wf.name, plan.start]),
  );
  const price = new Map(PRICE_LIST.map((sku) => [sku.id, new Prisma.Decimal(sku.listPriceUsd)]));
  const rows: unknown[][] = [];
  for (let day = 0; day < plan.days; day++) {
    const count = rng.int(14, 30);
    const times = Array.from({ length: count }, () => plan.start.getTime() + day * DAY_MS + Math.floor(rng.next() * DAY_MS)).sort((a, b) => a - b);
    for (const at of times) {
      const workflow = rng.pick(workflows);
      const calls = Array.from({ length: rng.int(1, 3) }, () => {
        const model = rng.pick(LLM_MODELS);
        const inputTokens = rng.int(300, 12_000);
        const outputTokens = rng.int(50, 2_500);
        const costUsd = price.get(`llm-${model}-input`)!.mul(inputTokens).div(1000)
          .plus(price.get(`llm-${model}-output`)!.mul(outputTokens).div(1000)).toDecimalPlaces(8);
        return { model, inputTokens, outputTokens, costUsd: costUsd.toFixed() };
      });
      const total = calls.reduce((sum, call) => sum.plus(call.costUsd), new Prisma.Decimal(0));
      rows.push([
        workspaceId, workflow.id, new Date(at), rng.pick(workflow.triggers), calls[0]!.model,
        calls.reduce((s, c) => s + c.inputTokens, 0), calls.reduce((s, c) => s + c.outputTokens, 0),
        total.toFixed(), JSON.stringify(calls),
      ]);
    }
  }
  await insertRows(
    sessionSql(session),
    "Execution",
    [
      { name: "workspaceId", type: "uuid" }, { name: "workflowId", type: "uuid" }, { name: "startedAt", type: "timestamptz" },
      { name: "trigger", type: "text" }, { name: "model", type: "text" }, { name: "inputTokens", type: "int4" },
      { name: "outputTokens", type: "int4" }, { name: "costUsd", type: "numeric" }, { name: "costBreakdown", type: "jsonb" },
    ],
    rows,
    { constants: [{ name: "monthToDateUsd", type: "numeric", value: "0" }] }, // the running totals: rebuildAggregates, after
  );
}

async function insertActivity(
  session: SqlSession,
  rng: Random,
  workspaceId: string,
  slug: string,
  plan: { start: Date; days: number },
): Promise<void> {
  const users = Array.from({ length: 5 }, (_, i) => `dev${i + 1}@${slug}.test`);
  const rows: unknown[][] = [];
  for (let day = 0; day < plan.days; day++) {
    const weekday = new Date(plan.start.getTime() + day * DAY_MS).getUTCDay();
    const count = weekday === 0 || weekday === 6 ? rng.int(0, 4) : rng.int(8, 20);
    for (let i = 0; i < count; i++) {
      const added = rng.int(0, 400);
      const input = rng.int(2_000, 80_000);
      rows.push([
        workspaceId, rng.pick(users), new Date(plan.start.getTime() + day * DAY_MS + Math.floor(rng.next() * DAY_MS)),
        added, rng.int(0, Math.floor(added / 2)), rng.int(0, added), rng.int(2_000, 40_000), rng.int(1, 6),
        input, rng.int(500, 12_000), rng.int(0, 20_000), rng.int(0, input * 5),
      ]);
    }
  }
  await insertRows(
    sessionSql(session),
    "ActivityEvent",
    [
      { name: "workspaceId", type: "uuid" }, { name: "userKey", type: "text" }, { name: "occurredAt", type: "timestamptz" },
      { name: "linesAdded", type: "int4" }, { name: "linesRemoved", type: "int4" }, { name: "linesAccepted", type: "int4" },
      { name: "totalLines", type: "int4" }, { name: "userPrompts", type: "int4" }, { name: "inputTokens", type: "int8" },
      { name: "outputTokens", type: "int8" }, { name: "cacheWriteTokens", type: "int8" }, { name: "cacheInputTokens", type: "int8" },
    ],
    rows,
  );
}
