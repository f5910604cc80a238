// Credit lots over the API, on the test clock: draw-down by priority, expiry and age with the cost
// of each allocation, balances read before and after expiries seconds away, expirations posted
// once by the job of two gateway processes and by the next write, overdraft settled by later lots,
// refunds that keep what credits cost, and 100 concurrent debits while lots expire.
import { parse } from "graphql";
import { describe, expect } from "vitest";
import { openPostgres, type Database } from "../../src/db/client.js";
import { Prisma } from "../../src/db/generated/client.js";
import { POSTGRES_OPTIONS } from "../helpers/database.js";
import { gatewayTest } from "../helpers/fixtures.js";
import { bearer, operatorKey, startGateway, type TestGateway } from "../helpers/gateway.js";
import { ledgerViolations } from "../helpers/ledger-invariants.js";

const SECOND = 1000;
const T0 = new Date("2027-05-03T10:00:00.000Z");
const at = (seconds: number) => new Date(T0.getTime() + seconds * SECOND).toISOString();

const test = gatewayTest({ now: T0 });

let workspaces = 0;
/** A workspace of its own with an admin key: no credits, no ledger. */
async function freshWorkspace(db: Database, options: { allowOverdraft?: boolean } = {}) {
  const n = ++workspaces;
  const org = await db.prisma.organization.create({ data: { slug: `lots-${n}`, name: `Lots ${n}` } });
  const workspace = await db.prisma.workspace.create({
    data: { slug: `lots-${n}-main`, name: `Lots ${n}`, organizationId: org.id, allowOverdraft: options.allowOverdraft ?? false },
  });
  const key = await operatorKey(db, { name: "admin", scopes: ["read:billing", "write:usage", "admin"], workspaceId: workspace.id });
  return { workspaceId: workspace.id, key };
}

interface Allocation {
  lot: { id: string } | null;
  credits: string;
  costUsd: string;
}
interface Transaction {
  id: string;
  type: string;
  amount: string;
  costUsd: string;
  occurredAt: string;
  allocations: Allocation[];
}

const TRANSACTION = `id type amount costUsd occurredAt allocations { lot { id } credits costUsd }`;

/** GraphQL as the workspace's admin; fails the test on any error. */
function client(gateway: TestGateway, key: string) {
  const run = async <T>(document: string, variables: Record<string, unknown> = {}): Promise<T> => {
    const response = await gateway.graphql(parse(document), variables, bearer(key));
    expect(response.errors).toBeUndefined();
    return response.data as T;
  };
  const post = async (mutation: string, input: Record<string, unknown>): Promise<Transaction & { lotId: string | null }> => {
    const data = await run<Record<string, { transaction: Transaction & { id: string } } & { __typename: string; message?: string }>>(
      `mutation($input: ${mutation[0]!.toUpperCase()}${mutation.slice(1)}Input!) { ${mutation}(input: $input) {
        __typename ... on CreditTransactionPayload { transaction { ${TRANSACTION} } } ... on Error { message } } }`,
      { input },
    );
    const payload = data[mutation]!;
    expect(payload.__typename, payload.message).toBe("CreditTransactionPayload");
    const lots = await run<{ workspace: { creditLots: { nodes: { id: string; transaction: { id: string } }[] } } }>(
      `{ workspace { creditLots(first: 500) { nodes { id transaction { id } } } } }`,
    );
    const lot = lots.workspace.creditLots.nodes.find((l) => l.transaction.id === payload.transaction.id);
    return { ...payload.transaction, lotId: lot?.id ?? null };
  };
  return {
    run,
    grant: (credits: string, extra: Record<string, unknown> = {}) => post("grantCredits", { credits, ...extra }),
    purchase: (credits: string, amountPaidUsd: string, extra: Record<string, unknown> = {}) => post("purchaseCredits", { credits, amountPaidUsd, ...extra }),
    debit: (credits: string) => post("adjustCredits", { credits: `-${credits}`, description: "debit" }),
    refund: (transactionId: string, credits?: string) => post("refundCredits", { transactionId, ...(credits ? { credits } : {}) }),
    balance: () =>
      run<{ workspace: { creditBalance: { credits: string; paidCredits: string; freeCredits: string; nextExpiry: { at: string; credits: string } | null } } }>(
        `{ workspace { creditBalance { credits paidCredits freeCredits nextExpiry { at credits } } } }`,
      ).then((d) => d.workspace.creditBalance),
    lots: (state?: string[]) =>
      run<{ workspace: { creditLots: { totalCount: number; nodes: { id: string; state: string; remainingCredits: string; originalCredits: string; priority: number; unitCostUsd: string; source: string }[] } } }>(
        `query($state: [CreditLotState!]) { workspace { creditLots(first: 500, state: $state) { totalCount nodes { id state remainingCredits originalCredits priority unitCostUsd source } } } }`,
        { state },
      ).then((d) => d.workspace.creditLots),
    ledger: () =>
      run<{ workspace: { creditTransactions: { nodes: Transaction[] } } }>(`{ workspace { creditTransactions(first: 500, order: OLDEST_FIRST) { nodes { ${TRANSACTION} } } } }`)
        .then((d) => d.workspace.creditTransactions.nodes),
  };
}

const allocation = (lotId: string | null, credits: string, costUsd: string): Allocation => ({ lot: lotId === null ? null : { id: lotId }, credits, costUsd });

describe("credit lots", () => {
  test("draw down by priority, then soonest expiry, then age, each allocation at the cost of what it took", async ({ db, gateway, clock }) => {
    clock.set(T0);
    const { workspaceId, key } = await freshWorkspace(db);
    const api = client(gateway, key);
    const welcome = await api.grant("100", { expiresAt: at(10) });
    const pack = await api.purchase("1000", "10.00", { priority: 10 });
    const topUp = await api.purchase("300", "4.50", { expiresAt: at(20) });
    const goodwill = await api.grant("50");
    const third = await api.purchase("3", "1.00", { priority: 90 }); // a third of a dollar per credit

    // Priority 10 first, then the soonest expiry of priority 50.
    const first = await api.debit("1050");
    expect(first.allocations).toEqual([allocation(pack.lotId, "1000", "10"), allocation(welcome.lotId, "50", "0")]);
    expect(first.costUsd).toBe("10");
    const second = await api.debit("280");
    expect(second.allocations).toEqual([allocation(welcome.lotId, "50", "0"), allocation(topUp.lotId, "230", "3.45")]);
    expect(second.costUsd).toBe("3.45");

    const lots = await api.lots();
    expect(lots.nodes.map((l) => [l.id, l.state, l.remainingCredits, l.priority, l.unitCostUsd, l.source])).toEqual([
      [third.lotId, "ACTIVE", "3", 90, "0.333333333333", "PURCHASE"],
      [goodwill.lotId, "ACTIVE", "50", 50, "0", "GRANT"],
      [topUp.lotId, "ACTIVE", "70", 50, "0.015", "PURCHASE"],
      [pack.lotId, "EXHAUSTED", "0", 10, "0.01", "PURCHASE"],
      [welcome.lotId, "EXHAUSTED", "0", 50, "0", "GRANT"],
    ]);
    expect(await api.balance()).toEqual({ credits: "123", paidCredits: "73", freeCredits: "50", nextExpiry: { at: at(20), credits: "70" } });

    // The top-up expires: it no longer counts at once, before any EXPIRATION row is posted.
    clock.set(new Date(at(20)));
    expect(await api.balance()).toEqual({ credits: "53", paidCredits: "3", freeCredits: "50", nextExpiry: null });
    expect((await api.lots(["EXPIRED"])).nodes.map((l) => [l.id, l.remainingCredits])).toEqual([[topUp.lotId, "0"]]);
    expect((await api.lots(["ACTIVE"])).nodes.map((l) => l.id)).toEqual([third.lotId, goodwill.lotId]);
    expect((await api.ledger()).filter((t) => t.type === "EXPIRATION")).toEqual([]);

    // The next write posts the expiration first, dated at the expiry, with its remaining cost.
    const third1 = await api.debit("51");
    const ledger = await api.ledger();
    const expiration = ledger.find((t) => t.type === "EXPIRATION")!;
    expect(expiration).toMatchObject({ amount: "-70", costUsd: "1.05", occurredAt: at(20), allocations: [allocation(topUp.lotId, "70", "1.05")] });
    expect(ledger.indexOf(expiration)).toBe(ledger.length - 2);
    expect(third1.allocations).toEqual([allocation(goodwill.lotId, "50", "0"), allocation(third.lotId, "1", "0.33333333")]);
    const last = await api.debit("2");
    expect(last.allocations).toEqual([allocation(third.lotId, "2", "0.66666667")]); // the rest of the dollar, exactly
    expect(await api.balance()).toEqual({ credits: "0", paidCredits: "0", freeCredits: "0", nextExpiry: null });

    // Without overdraft, an empty workspace refuses a debit and writes nothing.
    const refused = await api.run<{ adjustCredits: { __typename: string } }>(`mutation { adjustCredits(input: { credits: "-1", description: "x" }) { __typename } }`);
    expect(refused.adjustCredits.__typename).toBe("InsufficientCreditsError");
    expect(await ledgerViolations(db, workspaceId)).toEqual({});
  });

  test("refunds return credits as a lot that costs what they had cost; free credits come back free", async ({ db, gateway, clock }) => {
    clock.set(T0);
    const { workspaceId, key } = await freshWorkspace(db);
    const api = client(gateway, key);
    const bought = await api.purchase("400", "6.00", { priority: 10 });
    await api.grant("100");
    const mixed = await api.debit("450"); // 400 bought ($6.00) and 50 free
    expect(mixed.costUsd).toBe("6");
    const part = await api.refund(mixed.id, "90"); // 90 of 450 credits: a fifth of the cost
    expect([part.type, part.amount, part.costUsd]).toEqual(["REFUND", "90", "-1.2"]);
    const rest = await api.refund(mixed.id);
    expect([rest.amount, rest.costUsd]).toEqual(["360", "-4.8"]); // the rest, so the refunds add up to the debit's cost
    const lots = await api.lots();
    expect(lots.nodes.slice(0, 2).map((l) => [l.source, l.originalCredits, l.unitCostUsd])).toEqual([["REFUND", "360", "0.013333333333"], ["REFUND", "90", "0.013333333333"]]);
    const again = await api.run<{ refundCredits: { __typename: string; message: string } }>(
      `mutation($id: ID!) { refundCredits(input: { transactionId: $id }) { __typename ... on Error { message } } }`, { id: mixed.id });
    expect(again.refundCredits).toMatchObject({ __typename: "ValidationError", message: expect.stringContaining("refunded") });
    const notDebit = await api.run<{ refundCredits: { __typename: string } }>(`mutation($id: ID!) { refundCredits(input: { transactionId: $id }) { __typename } }`, { id: bought.id });
    expect(notDebit.refundCredits.__typename).toBe("ValidationError");

    const free = await api.grant("10", { priority: 1 });
    const fromFree = await api.debit("10");
    expect(fromFree.allocations).toEqual([allocation(free.lotId, "10", "0")]);
    const freeRefund = await api.refund(fromFree.id);
    expect([freeRefund.amount, freeRefund.costUsd]).toEqual(["10", "0"]);
    expect(await api.balance()).toMatchObject({ credits: "510", paidCredits: "450", freeCredits: "60" });
    expect(await ledgerViolations(db, workspaceId)).toEqual({});
  });

  test("overdraft is a debit beyond the lots, owed until later lots settle it first", async ({ db, gateway, clock }) => {
    clock.set(T0);
    const { workspaceId, key } = await freshWorkspace(db, { allowOverdraft: true });
    const api = client(gateway, key);
    await api.grant("20");
    const over = await api.debit("100");
    expect(over.allocations).toEqual([expect.objectContaining({ credits: "20", costUsd: "0" }), allocation(null, "80", "0")]);
    const small = await api.grant("30"); // settles 30 of the 80 owed
    const bought = await api.purchase("100", "2.00"); // settles the other 50 at $0.02 a credit, keeps 50
    const settled = (await api.ledger()).find((t) => t.id === over.id)!;
    expect(settled.allocations).toEqual([
      expect.objectContaining({ credits: "20" }), allocation(small.lotId, "30", "0"), allocation(bought.lotId, "50", "1"),
    ]);
    expect(settled.costUsd).toBe("1");
    expect(await api.balance()).toEqual({ credits: "50", paidCredits: "50", freeCredits: "0", nextExpiry: null });
    expect(await ledgerViolations(db, workspaceId)).toEqual({});
  });

  test("the balance and REST agree: paidBalance and freeBalance next to the balance", async ({ db, gateway, clock }) => {
    clock.set(T0);
    const { workspaceId, key } = await freshWorkspace(db);
    const api = client(gateway, key);
    await api.purchase("200", "3.00", { expiresAt: at(5) });
    await api.grant("25");
    const read = async () => (await fetch(`${gateway.url}/api/mcp/credits/balance`, { headers: bearer(key) })).json();
    expect(await read()).toMatchObject({ workspaceId, balance: 225, paidBalance: 200, freeBalance: 25 });
    clock.set(new Date(at(5)));
    expect(await read()).toMatchObject({ balance: 25, paidBalance: 0, freeBalance: 25 });
    const summary = await (await fetch(`${gateway.url}/api/mcp/billing/summary`, { headers: bearer(key) })).json();
    expect(summary).toMatchObject({ balance: 25, paidBalance: 0, freeBalance: 25 });
  });

  test("pages newest first, forwards with first and after, backwards with last and before", async ({ db, gateway, clock }) => {
    clock.set(T0);
    const { key } = await freshWorkspace(db);
    const api = client(gateway, key);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await api.grant(String(i + 1))).lotId!);
    const newestFirst = [...ids].reverse();
    type Page = { workspace: { creditLots: { nodes: { id: string }[]; pageInfo: { startCursor: string; endCursor: string; hasNextPage: boolean; hasPreviousPage: boolean } } } };
    const page = (args: string) => api.run<Page>(`{ workspace { creditLots(${args}) { nodes { id } pageInfo { startCursor endCursor hasNextPage hasPreviousPage } } } }`).then((d) => d.workspace.creditLots);
    const forwards: string[][] = [];
    for (let p = await page("first: 2"); ; p = await page(`first: 2, after: "${p.pageInfo.endCursor}"`)) {
      forwards.push(p.nodes.map((n) => n.id));
      if (!p.pageInfo.hasNextPage) break;
    }
    expect(forwards).toEqual([newestFirst.slice(0, 2), newestFirst.slice(2, 4), newestFirst.slice(4)]);
    const backwards: string[][] = [];
    for (let p = await page("last: 2"); ; p = await page(`last: 2, before: "${p.pageInfo.startCursor}"`)) {
      backwards.push(p.nodes.map((n) => n.id));
      if (!p.pageInfo.hasPreviousPage) break;
    }
    expect(backwards).toEqual([newestFirst.slice(3), newestFirst.slice(1, 3), newestFirst.slice(0, 1)]);
  });

  test("priority outside 1–100 and keys in the gateway's namespace are refused by name, and nothing is written", async ({ db, gateway, clock }) => {
    clock.set(T0);
    const { workspaceId, key } = await freshWorkspace(db);
    const api = client(gateway, key);
    for (const priority of [0, 101, -5]) {
      const result = await api.run<{ grantCredits: { __typename: string; issues: { path: string[] }[] } }>(
        `mutation($p: Int) { grantCredits(input: { credits: "5", priority: $p }) { __typename ... on ValidationError { issues { path } } } }`, { p: priority });
      expect(result.grantCredits).toEqual({ __typename: "ValidationError", issues: [{ path: ["priority"] }] });
    }
    // The gateway's own keys (its expirations') are not a client's to take.
    const reserved = await api.run<{ grantCredits: { __typename: string; issues: { path: string[] }[] } }>(
      `mutation { grantCredits(input: { credits: "5", idempotencyKey: "gateway:expiration:lot-1" }) { __typename ... on ValidationError { issues { path } } } }`);
    expect(reserved.grantCredits).toEqual({ __typename: "ValidationError", issues: [{ path: ["idempotencyKey"] }] });
    expect(await db.prisma.creditTransaction.count({ where: { workspaceId } })).toBe(0);
  });
});

describe("expiry", () => {
  test("is posted once by the job of two gateway processes, within its interval, each dated at its lot's expiry", async ({ db, database, clock }) => {
    clock.set(T0);
    const env = { CREDIT_EXPIRY_INTERVAL_S: "1" };
    // Two processes: on PostgreSQL each with a connection pool of its own.
    const second = database.url ? await openPostgres(database.url, POSTGRES_OPTIONS) : db;
    const [a, b] = [await startGateway(db, { clock, env }), await startGateway(second, { clock, env })];
    try {
      const { workspaceId, key } = await freshWorkspace(db);
      const api = client(a, key);
      const lots = [await api.grant("10", { expiresAt: at(2) }), await api.purchase("20", "1.00", { expiresAt: at(3) }), await api.grant("30", { expiresAt: at(3) })];
      await api.grant("5"); // never expires
      clock.set(new Date(at(4)));
      // Both processes' timers run; passes started by hand at once in both race them too.
      await Promise.all([a.creditExpiry.runOnce(), b.creditExpiry.runOnce(), a.creditExpiry.runOnce(), b.creditExpiry.runOnce()]);
      await new Promise((resolve) => setTimeout(resolve, 2_500)); // two more intervals of both timers
      const expirations = (await api.ledger()).filter((t) => t.type === "EXPIRATION");
      expect(expirations.map((e) => [e.amount, e.occurredAt, e.allocations])).toEqual([
        ["-10", at(2), [allocation(lots[0]!.lotId, "10", "0")]],
        ["-20", at(3), [allocation(lots[1]!.lotId, "20", "1")]],
        ["-30", at(3), [allocation(lots[2]!.lotId, "30", "0")]],
      ]);
      expect(await api.balance()).toMatchObject({ credits: "5", freeCredits: "5", paidCredits: "0" });
      expect(await ledgerViolations(db, workspaceId)).toEqual({});
    } finally {
      await Promise.all([a.close(), b.close()]);
      if (second !== db) await second.close();
    }
  });

  test("is posted by the timer alone, within its interval", async ({ db, clock }) => {
    clock.set(T0);
    const gateway = await startGateway(db, { clock, env: { CREDIT_EXPIRY_INTERVAL_S: "1" } });
    try {
      const { workspaceId, key } = await freshWorkspace(db);
      await client(gateway, key).grant("7", { expiresAt: at(1) });
      clock.set(new Date(at(2)));
      const deadline = Date.now() + 5_000;
      while (Date.now() < deadline && (await db.prisma.creditTransaction.count({ where: { workspaceId, type: "EXPIRATION" } })) === 0) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(await db.prisma.creditTransaction.count({ where: { workspaceId, type: "EXPIRATION" } })).toBe(1);
    } finally {
      await gateway.close();
    }
  });

  test("100 concurrent debits across several lots, with expiries passing during the burst, stay exact", async ({ db, gateway, clock }) => {
    clock.set(T0);
    const { workspaceId, key } = await freshWorkspace(db);
    const api = client(gateway, key);
    for (let i = 0; i < 6; i++) {
      await api.purchase("400", `${(3 + i).toFixed(2)}`, { priority: 10 * (i % 3) + 10, expiresAt: at(1 + i) });
      await api.grant("300", { expiresAt: at(2 + i), priority: 40 });
    }
    await api.purchase("5000", "50.00"); // enough that no debit runs dry
    let tick = 0;
    const timer = setInterval(() => clock.set(new Date(at(Math.min(++tick * 0.25, 10)))), 25); // an expiry every few dozen requests
    const results = await Promise.all(Array.from({ length: 100 }, (_, i) =>
      gateway.graphql(parse(`mutation($c: Decimal!) { adjustCredits(input: { credits: $c, description: "burst" }) { __typename } }`), { c: `-${17 + (i % 13)}.${i % 10}` }, bearer(key))));
    clearInterval(timer);
    expect(results.map((r) => (r.data as { adjustCredits: { __typename: string } }).adjustCredits.__typename)).toEqual(Array(100).fill("CreditTransactionPayload"));
    clock.set(new Date(at(11)));
    await gateway.creditExpiry.runOnce();
    expect(await ledgerViolations(db, workspaceId)).toEqual({});
    const expired = await db.prisma.creditLot.count({ where: { workspaceId, expirationTransactionId: { not: null } } });
    const emptied = await db.prisma.creditLot.count({ where: { workspaceId, expiresAt: { not: null }, remainingCredits: 0 } });
    expect(expired).toBeGreaterThan(0);
    expect(emptied).toBe(12); // every expiring lot is either used up or expired
    const debited = results.reduce((sum, _, i) => sum.plus(`${17 + (i % 13)}.${i % 10}`), new Prisma.Decimal(0));
    const expirations = await db.prisma.creditTransaction.aggregate({ where: { workspaceId, type: "EXPIRATION" }, _sum: { amount: true } });
    expect((await api.balance()).credits).toBe(new Prisma.Decimal(6 * 700 + 5000).minus(debited).plus(expirations._sum.amount!).toFixed());
  });
});
