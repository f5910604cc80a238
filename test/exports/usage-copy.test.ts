// Usage records written from PostgreSQL's COPY text (exports/usage-copy.ts) are byte for byte the
// lines the generic way writes (a FocusRow per record, the format's line writer): for records with
// and without each nullable field, values that need escaping in CSV, JSON or COPY, several draws,
// any cut between chunks; and over HTTP on PostgreSQL, across COPY statements.
import { parse } from "graphql";
import { describe, expect, it } from "vitest";
import { Prisma, type Organization, type Sku, type Workspace } from "../../src/db/generated/client.js";
import { FOCUS_COLUMNS } from "../../src/domain/focus/columns.js";
import type { FocusContext } from "../../src/domain/focus/row-parts.js";
import { focusRequest, focusRowPages } from "../../src/domain/focus/rows.js";
import { usageMapper } from "../../src/domain/focus/usage-rows.js";
import { focusFileWriter } from "../../src/exports/focus-file.js";
import { EncodedChunks, fileFormats } from "../../src/exports/text-formats.js";
import { usageCopyWriter } from "../../src/exports/usage-copy.js";
import { FOCUS_USAGE as U, type FocusUsageRow } from "../../src/store/usage-records.js";
import { openPostgres } from "../../src/db/client.js";
import { POSTGRES_OPTIONS, usingPostgres } from "../helpers/database.js";
import { gatewayTest } from "../helpers/fixtures.js";
import { bearer, operatorAt } from "../helpers/gateway.js";

const decimal = (text: string) => new Prisma.Decimal(text);
const sku = (id: string, name: string, unit: string): Sku => ({
  id, name, unit, meter: `${name} meter`, listPriceUsd: decimal("0.000003"), creditsPerUnit: decimal("0.0003"), resourceKind: "INFERENCE",
  model: null, serviceName: "AI Inference", serviceCategory: "AI and Machine Learning", serviceSubcategory: "Generative AI", createdAt: new Date(0),
});
const SKUS = [sku("llm-a-input", 'Model "A", input', "tokens"), sku("gpu-seconds", "GPU seconds", "seconds"), sku("über-sku", "Über, per call", "calls")];
const FOCUS: FocusContext = {
  workspace: { id: "9d0c3a43-5a0f-4c7e-9a57-3f1a3b5b8c01", name: 'Prod, "main"', creditPriceUsd: decimal("0.01") } as Workspace,
  organization: { id: "0b6e8c0e-2d8b-4f0c-8f52-0a0f8e0c9e11", name: "Acme" } as Organization,
  providerName: "Acme Metering",
  // Lots 1 and 3 are purchases (their contracts are ledger rows 101 and 103); lot 2 a grant.
  contracts: new Map([["1", "101"], ["3", "103"]]),
};

/** Values a record may carry, plain and not: commas, quotes, backslashes, tabs, line breaks, non-ASCII. */
const AWKWARD = ["plain-1", "a,b", 'say "hi"', "back\\slash", "tab\there", "line\nbreak", "cr\rhere", "ünïcödé ✓", "\\N", "bell\u0007"];
const DRAWS = [null, "1:2.5:0.025", "2:1:0", "1:1:0.01 3:4:0.04", "2:1:0 1:3:0.03", "3:0.000001:0.00000001"];

/** Deterministic records: every nullable field null or not, awkward values now and then, hours and a month turning. */
function records(count: number): FocusUsageRow[] {
  let seed = 7;
  const next = (n: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0), (seed >>> 16) % n); // the high bits: the low ones cycle
  const maybe = (plain: string) => [null, plain, plain, AWKWARD[next(AWKWARD.length)]!][next(4)]!;
  const start = Date.UTC(2026, 0, 31, 21, 0, 0);
  return Array.from({ length: count }, (_, i) => {
    const credits = ["0", "12.5", "3", "0.000001"][next(4)]!;
    const resourceId = maybe(`res-${i}`);
    const row: FocusUsageRow = new Array(Object.keys(U).length).fill(null);
    row[U.id] = String(1000 + i);
    row[U.atMs] = String(start + i * 97_000);
    row[U.skuId] = SKUS[next(SKUS.length)]!.id;
    row[U.units] = ["1", "12.5", "1000000", "0.000001"][next(4)]!;
    row[U.credits] = credits;
    row[U.negatedCredits] = credits === "0" ? "0" : `-${credits}`;
    row[U.effectiveCost] = ["0", "0.125", "0.00000001"][next(3)]!;
    row[U.listCost] = "0.0000375";
    row[U.contractedCost] = "0.00000375";
    row[U.resourceId] = resourceId;
    row[U.resourceKind] = resourceId === null ? null : "inference";
    row[U.model] = maybe("model-x");
    row[U.externalUserId] = maybe(`user_${i % 5}`);
    row[U.externalProjectId] = maybe("proj/alpha");
    row[U.apiKeyId] = next(3) === 0 ? null : "5f1e4c1a-0d55-4f0b-9c2a-8a1b1f3d2e77";
    row[U.lotDraws] = DRAWS[next(DRAWS.length)]!;
    return row;
  });
}

/** A record as a line of PostgreSQL's COPY text. */
const copyLine = (row: FocusUsageRow) =>
  row.map((value) => (value === null ? "\\N" : value.replace(/[\\\n\r\t]/g, (c) => ({ "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t" })[c]!))).join("\t") + "\n";

/** `bytes` cut into chunks of the given sizes, in turn. */
function cut(bytes: Buffer, sizes: number[]): Buffer[] {
  const chunks: Buffer[] = [];
  for (let at = 0, i = 0; at < bytes.length; i++) chunks.push(bytes.subarray(at, (at += sizes[i % sizes.length]!)));
  return chunks;
}

describe("usage records from COPY text", () => {
  const formats = fileFormats(FOCUS_COLUMNS);
  const rows = records(600);
  const copyText = Buffer.from(rows.map(copyLine).join(""));

  for (const name of ["csv", "jsonl"] as const) {
    const format = formats[name];
    const generic = () => {
      const [toRow, toLine] = [usageMapper(FOCUS, SKUS), format.lines()];
      return Buffer.from(rows.map((row) => toLine(toRow(row))).join(""));
    };

    it(`are the generic ${name.toUpperCase()} lines, byte for byte, however the chunks cut them`, () => {
      const expected = generic();
      // Some records went each way: the awkward ones are in the file as the generic way escaped them.
      expect(expected.includes('"a,b"')).toBe(true);
      expect(expected.includes(name === "csv" ? '"line\nbreak"' : '"line\\nbreak"')).toBe(true);
      for (const sizes of [[copyText.length], [1], [7, 64, 3], [4096], [151, 1]]) {
        const out = new EncodedChunks();
        const write = usageCopyWriter(format, FOCUS, SKUS, out);
        const written = cut(copyText, sizes).reduce((sum, chunk) => sum + write(chunk), 0);
        expect(written).toBe(rows.length);
        expect(Buffer.concat(out.take()).equals(expected)).toBe(true);
      }
    });
  }

  it("writes the generic way the records whose SKU or workspace names hold the marker character", () => {
    const marked: FocusContext = { ...FOCUS, workspace: { ...FOCUS.workspace, name: "Prod\uE000x" } as Workspace };
    const skus = [{ ...SKUS[0]!, name: "N\uE000\uE101" }, ...SKUS.slice(1)];
    for (const format of [formats.csv, formats.jsonl]) {
      const [toRow, toLine] = [usageMapper(marked, skus), format.lines()];
      const expected = Buffer.from(rows.map((row) => toLine(toRow(row))).join(""));
      expect(expected.includes("Prod\uE000x")).toBe(true);
      const out = new EncodedChunks();
      usageCopyWriter(format, marked, skus, out)(copyText);
      expect(Buffer.concat(out.take()).equals(expected)).toBe(true);
    }
  });

  it("refuses COPY text that is not FOCUS_USAGE's fields rather than writing a wrong line", () => {
    const write = usageCopyWriter(formats.csv, FOCUS, SKUS, new EncodedChunks());
    expect(() => write(Buffer.from("1\t2\t3\n"))).toThrow(/3 fields/);
  });
});

// ---------------------------------------------------------------------------------------------

const DAY = 86_400_000;
const NOW = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000);
const FROM = Math.floor(NOW.getTime() / DAY) * DAY - 10 * DAY;
const TO = Math.floor(NOW.getTime() / DAY) * DAY + DAY;

const test = gatewayTest({ now: NOW, demo: { days: 10, usageRecords: 400 } });

describe.runIf(usingPostgres)("a FOCUS export on PostgreSQL", () => {
  test("reads usage by COPY, in statements of a segment each, into the file the generic way writes", async ({ db, clock, gateway, acmeProd: { key, workspaceId } }) => {
    // What identifiers may hold (no control characters) and needs escaping somewhere.
    const values = AWKWARD.filter((value) => !/[\u0000-\u001f]/.test(value));
    const awkward = values.map((value, i) => ({
      idempotencyKey: `awkward-${i}`, sku: "llm-gpt-4o-input", units: "1000", occurredAt: new Date(NOW.getTime() - (i + 1) * 60_000).toISOString(),
      resourceId: value, externalUserId: value, externalProjectId: `p ${value}`, model: `m,${i}`,
    }));
    const recorded = await gateway.graphql(parse(`mutation($records: [UsageRecordInput!]!) { recordUsage(records: $records) { ... on RecordUsagePayload { accepted } } }`), { records: awkward }, bearer(key));
    expect(recorded.errors).toBeUndefined();
    expect(recorded.data).toEqual({ recordUsage: { accepted: values.length } });

    const ctx = await operatorAt(db, clock);
    for (const format of ["csv", "jsonl"] as const) {
      const file = async (options: { copy: boolean; batchSize?: number }) => {
        const chunks: Buffer[] = [];
        const writer = focusFileWriter("cost-and-usage", format, { write: async (chunk) => (chunks.push(Buffer.from(chunk)), true) });
        let copies = 0;
        const stop = db.onQuery((sql) => void (sql.startsWith("COPY") && copies++));
        const { workspace, window } = await focusRequest(ctx, { id: workspaceId }, { from: new Date(FROM), to: new Date(TO) });
        const usageCopy = options.copy ? writer.usageCopy : undefined;
        for await (const _ of focusRowPages(ctx, workspace, window, (row) => writer.add(row), { usageCopy, batchSize: options.batchSize })) await writer.flush();
        await writer.end();
        stop();
        return { bytes: Buffer.concat(chunks), copies };
      };
      const [{ count }] = await db.query(`SELECT count(*)::int AS count FROM "UsageRecord" WHERE "workspaceId" = $1 AND "occurredAt" >= $2 AND "occurredAt" < $3`, [workspaceId, new Date(FROM), new Date(TO)]) as [{ count: number }];
      expect(count).toBeGreaterThan(100);
      const generic = await file({ copy: false });
      // Segments of 7 records: each COPY statement starts after the last record of the one before.
      const segmented = await file({ copy: true, batchSize: 7 });
      expect(generic.copies).toBe(0);
      expect(segmented.copies).toBe(Math.floor(count / 7) + 1);
      expect(segmented.bytes.equals(generic.bytes)).toBe(true);
      const response = await fetch(`${gateway.url}/api/billing/focus-export?from=${FROM}&to=${TO}&format=${format}`, { headers: bearer(key) });
      expect(response.status).toBe(200);
      expect(Buffer.from(await response.arrayBuffer()).equals(generic.bytes)).toBe(true);
      expect(generic.bytes.toString().split(format === "csv" ? "\r\n" : "\n").length).toBeGreaterThan(count);
    }
  });

  test("holds no connection while its client does not read: each COPY statement is read whole first", async ({ database, clock, acmeProd: { workspaceId } }) => {
    const db = await openPostgres(database.url!, { ...POSTGRES_OPTIONS, DB_POOL_SIZE: 1, DB_CONNECTION_TIMEOUT_MS: 3_000 });
    try {
      const ctx = await operatorAt(db, clock);
      const writer = focusFileWriter("cost-and-usage", "csv", { write: async () => true });
      const { workspace, window } = await focusRequest(ctx, { id: workspaceId }, { from: new Date(FROM), to: new Date(TO) });
      let copies = 0;
      const stop = db.onQuery((sql) => void (sql.startsWith("COPY") && copies++));
      const pages = focusRowPages(ctx, workspace, window, (row) => writer.add(row), { usageCopy: writer.usageCopy, batchSize: 7 });
      // Up to the first usage records written, then no more: the export's client has stopped reading.
      while (copies === 0) expect((await pages.next()).done).toBe(false);
      expect((await pages.next()).done).toBe(false);
      // The pool's one connection is free (a streaming COPY would hold it until the client read on):
      // a transaction takes it from the pool COPY takes its connections from.
      expect(await db.transaction((run) => run(`SELECT 1 AS one`, []), { maxWaitMs: 1_000 })).toEqual([{ one: 1 }]);
      await pages.return(undefined);
      stop();
    } finally {
      await db.close();
    }
  });
});
