// FOCUS export jobs: queued over REST or GraphQL, run by whichever gateway process claims them
// (again after a process dies), written as the synchronous export writes them (one file set, or a
// FinOps-hub month each with its manifest), fetched through signed URLs with ranges, cancelled,
// deleted after their retention, and the standing monthly delivery.
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { parse } from "graphql";
import { describe, expect } from "vitest";
import { jobFolder } from "../../src/exports/file-sets.js";
import { claimExportJob } from "../../src/store/focus-export-jobs.js";
import { readCsv } from "../focus/focus-checker.js";
import { readParquet } from "../focus/read-parquet.js";
import { gatewayTest } from "../helpers/fixtures.js";
import { bearer, operatorKey, startGateway, type TestGateway } from "../helpers/gateway.js";

const DAY = 86_400_000;
const NOW = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000);
const FROM = Math.floor(NOW.getTime() / DAY) * DAY - 70 * DAY;
const TO = Math.floor(NOW.getTime() / DAY) * DAY + DAY;
const MAX_FILE_BYTES = 60_000;

interface Job {
  id: string;
  state: string;
  error: string | null;
  attempts: number;
  deliveryMonth: string | null;
  progress: { rows: number; bytes: number };
  files: { path: string; url: string | null; rows: number; bytes: number; sha256: string }[];
  expiresAt: string | null;
}

const test = gatewayTest({ now: NOW, demo: { days: 75, usageRecords: 3_000 }, env: { EXPORT_MAX_FILE_BYTES: String(MAX_FILE_BYTES) } }).extend("keys", { scope: "file" }, async ({ db, clock, demo, acmeProd: { key, workspaceId } }) => ({
  admin: key,
  workspaceId,
  writeOnly: await operatorKey(db, { name: "w", scopes: ["write:usage"], workspaceId }, clock),
  foreign: await operatorKey(db, { name: "g", scopes: ["read:billing", "admin"], workspaceId: demo.workspaces.find((w) => w.slug === "globex-main")!.id }, clock),
}));

async function start(gateway: TestGateway, key: string, body: object) {
  const response = await fetch(`${gateway.url}/api/billing/focus-exports`, { method: "POST", headers: { ...bearer(key), "content-type": "application/json" }, body: JSON.stringify(body) });
  return { status: response.status, location: response.headers.get("location"), body: (await response.json()) as Job & { error: { code: string; param?: string } } };
}

async function job(gateway: TestGateway, key: string, id: string): Promise<Job> {
  return (await (await fetch(`${gateway.url}/api/billing/focus-exports/${id}`, { headers: bearer(key) })).json()) as Job;
}

const download = async (gateway: TestGateway, url: string, headers: Record<string, string> = {}) => {
  const response = await fetch(`${gateway.url}${url}`, { headers });
  return { status: response.status, headers: response.headers, bytes: Buffer.from(await response.arrayBuffer()) };
};

const sha256 = (bytes: Buffer) => crypto.createHash("sha256").update(bytes).digest("hex");

describe("FOCUS export jobs", () => {
  test("run once to files equal to the synchronous export, with their sizes and checksums", async ({ gateway, keys }) => {
    const started = await start(gateway, keys.admin, { from: FROM, to: TO, format: "parquet" });
    expect([started.status, started.body.state, started.location]).toEqual([202, "queued", `/api/billing/focus-exports/${started.body.id}`]);
    expect(await gateway.focusExports.runOnce()).toBe(1);
    expect(await gateway.focusExports.runOnce()).toBe(0); // run once only
    const done = await job(gateway, keys.admin, started.body.id);
    expect([done.state, done.attempts, done.error]).toEqual(["succeeded", 1, null]);
    const sync = await readParquet((await download(gateway, `/api/billing/focus-export?from=${FROM}&to=${TO}&format=parquet`, bearer(keys.admin))).bytes);
    const rows = [];
    for (const file of done.files) {
      expect(file.path).toMatch(/^part-\d{5}\.parquet$/);
      const fetched = await download(gateway, file.url!); // no API key
      expect([fetched.status, fetched.bytes.length, sha256(fetched.bytes)]).toEqual([200, file.bytes, file.sha256]);
      expect(fetched.headers.get("content-type")).toBe("application/vnd.apache.parquet");
      const read = await readParquet(fetched.bytes);
      expect(read.rows.length).toBe(file.rows);
      rows.push(...read.rows);
    }
    expect(done.files.length).toBeGreaterThan(0);
    expect(rows).toEqual(sync.rows);
    expect(done.progress).toEqual({ rows: sync.rows.length, bytes: done.files.reduce((sum, f) => sum + f.bytes, 0) });
  });

  test("write a FinOps-hub month per folder, each file under the size limit, with a manifest of its files", async ({ gateway, keys }) => {
    const started = await start(gateway, keys.admin, { from: FROM, to: TO, format: "csv", layout: "finops-hub" });
    expect(started.status).toBe(202);
    await gateway.focusExports.runOnce();
    const done = await job(gateway, keys.admin, started.body.id);
    expect(done.state).toBe("succeeded");
    const months = [...new Set(done.files.map((f) => f.path.split("/").slice(1, 3).join("-")))];
    expect(months.length).toBeGreaterThanOrEqual(3); // 71 days touch three or four months
    const lines: string[] = [];
    for (const month of months) {
      const folder = `cost-and-usage/${month.replace("-", "/")}`;
      const entry = done.files.find((f) => f.path === `${folder}/manifest.json`)!;
      const manifest = JSON.parse((await download(gateway, entry.url!)).bytes.toString()) as { focusVersion: string; dataset: string; month: string; files: Job["files"] };
      expect([manifest.focusVersion, manifest.dataset, manifest.month]).toEqual(["1.3", "cost-and-usage", month]);
      expect(manifest.files).toEqual(done.files.filter((f) => f.path.startsWith(`${folder}/part-`)).map(({ url: _url, ...f }) => f));
      for (const file of manifest.files) {
        const bytes = (await download(gateway, done.files.find((f) => f.path === file.path)!.url!)).bytes;
        expect(sha256(bytes)).toBe(file.sha256);
        expect(bytes.length).toBeLessThan(MAX_FILE_BYTES + 100 * 2_000); // cut after the 100 rows that pass the limit
        const csv = readCsv(bytes.toString());
        expect(csv.rows.length).toBe(file.rows);
        lines.push(...csv.rows.map((row) => JSON.stringify(row.map((c) => c.text))));
      }
    }
    expect(done.files.filter((f) => !f.path.endsWith("manifest.json")).length).toBeGreaterThan(months.length); // some months in several parts
    // The months whole: the synchronous export of the same months, row for row.
    const first = Date.parse(`${months[0]}-01T00:00:00Z`);
    const end = new Date(Date.parse(`${months.at(-1)}-01T00:00:00Z`));
    end.setUTCMonth(end.getUTCMonth() + 1);
    const whole = readCsv((await download(gateway, `/api/billing/focus-export?from=${first}&to=${end.getTime()}&format=csv`, bearer(keys.admin))).bytes.toString());
    expect(lines.sort()).toEqual(whole.rows.map((row) => JSON.stringify(row.map((c) => c.text))).sort());
  });

  test("serve files only to a URL signed for them, before it expires, in ranges", async ({ gateway, clock, db, keys }) => {
    const started = await start(gateway, keys.admin, { from: FROM, to: TO, format: "jsonl" });
    await gateway.focusExports.runOnce();
    const done = await job(gateway, keys.admin, started.body.id);
    const url = new URL(done.files[0]!.url!, gateway.url);
    const whole = await download(gateway, url.pathname + url.search);
    expect(whole.status).toBe(200);
    const code = async (target: string, headers = {}) => {
      const answer = await download(gateway, target, headers);
      return [answer.status, answer.bytes.length ? (JSON.parse(answer.bytes.toString()) as { error: { code: string } }).error.code : null];
    };
    const signature = url.searchParams.get("signature")!;
    const expires = url.searchParams.get("expires")!;
    const tampered = signature.slice(0, -2) + (signature.endsWith("AA") ? "BB" : "AA");
    expect(await code(`${url.pathname}?expires=${expires}&signature=${tampered}`)).toEqual([403, "INVALID_SIGNATURE"]);
    expect(await code(`${url.pathname}?expires=${Number(expires) + 1}&signature=${signature}`)).toEqual([403, "INVALID_SIGNATURE"]);
    expect(await code(`${url.pathname.replace("part-00000", "part-00001")}?expires=${expires}&signature=${signature}`)).toEqual([403, "INVALID_SIGNATURE"]);
    // Another tenant's job under this signature: refused the same way, revealing nothing.
    const other = await db.prisma.focusExportJob.create({ data: { workspaceId: (await db.prisma.workspace.findFirstOrThrow({ where: { slug: "globex-main" } })).id, dataset: "cost-and-usage", format: "jsonl", layout: "single", rangeFrom: new Date(FROM), rangeTo: new Date(TO), createdAt: clock.now(), state: "SUCCEEDED" } });
    expect(await code(`${url.pathname.replace(done.id, other.id)}?expires=${expires}&signature=${signature}`)).toEqual([403, "INVALID_SIGNATURE"]);
    expect(await code(`${url.pathname}?expires=${expires}`)).toEqual([400, "MISSING_PARAMETER"]);
    for (const hostile of ["-1", "1e20", "NaN", "%00", "💥", "x".repeat(5_000)]) {
      const [status] = await code(`${url.pathname}?expires=${encodeURIComponent(hostile)}&signature=${encodeURIComponent(hostile)}`);
      expect([400, 403]).toContain(status);
    }
    // A path the job did not write, even one that climbs out of its folder, is refused before any file is opened.
    expect(await code(`/api/billing/focus-exports/${done.id}/files/..%2F..%2Fetc%2Fpasswd?expires=${expires}&signature=${signature}`)).toEqual([403, "INVALID_SIGNATURE"]);
    // The job itself is not the other tenant's to read.
    expect((await fetch(`${gateway.url}/api/billing/focus-exports/${done.id}`, { headers: bearer(keys.foreign) })).status).toBe(404);
    expect((await fetch(`${gateway.url}/api/billing/focus-exports/${done.id}`, { headers: bearer(keys.writeOnly) })).status).toBe(404);

    // A download resumes: the first bytes, then the rest, make the file.
    const head = await download(gateway, url.pathname + url.search, { range: "bytes=0-999" });
    expect([head.status, head.headers.get("content-range"), head.bytes.length]).toEqual([206, `bytes 0-999/${whole.bytes.length}`, 1_000]);
    const rest = await download(gateway, url.pathname + url.search, { range: "bytes=1000-" });
    expect(rest.status).toBe(206);
    expect(Buffer.concat([head.bytes, rest.bytes]).equals(whole.bytes)).toBe(true);
    expect(await code(url.pathname + url.search, { range: `bytes=${whole.bytes.length + 10}-` })).toEqual([416, "RANGE_NOT_SATISFIABLE"]);
    // The file's SHA-256 is its ETag, which If-Match (and If-Range) compare.
    expect(whole.headers.get("etag")).toBe(`"${done.files[0]!.sha256}"`);
    expect(await code(url.pathname + url.search, { "if-match": '"not-this-file"' })).toEqual([412, "PRECONDITION_FAILED"]);

    clock.advance(Number(expires) - clock.now().getTime() + 1);
    try {
      expect(await code(url.pathname + url.search)).toEqual([403, "URL_EXPIRED"]);
    } finally {
      clock.set(NOW);
    }
  });

  test("cancel a queued job, and a running one at its next batch, keeping none of its files", async ({ gateway, db, keys }) => {
    const queued = await start(gateway, keys.admin, { from: FROM, to: TO });
    const cancel = (id: string) => fetch(`${gateway.url}/api/billing/focus-exports/${id}/cancel`, { method: "POST", headers: bearer(keys.admin) }).then((r) => r.json() as Promise<Job>);
    expect((await cancel(queued.body.id)).state).toBe("cancelled");
    expect(await gateway.focusExports.runOnce()).toBe(0);

    const running = await start(gateway, keys.admin, { from: FROM, to: TO, format: "csv" });
    let cancelling: Promise<Job> | null = null;
    const stop = db.onQuery((sql) => void (sql.includes('FROM "UsageRecord" u JOIN "Sku"') && (cancelling ??= cancel(running.body.id))));
    try {
      await gateway.focusExports.runOnce();
    } finally {
      stop();
    }
    await cancelling;
    const cancelled = await job(gateway, keys.admin, running.body.id);
    expect([cancelled.state, cancelled.files]).toEqual(["cancelled", []]);
    const row = await db.prisma.focusExportJob.findUniqueOrThrow({ where: { id: running.body.id } });
    expect(fs.existsSync(jobFolder(gateway.config.EXPORT_DIR!, row))).toBe(false);
    expect((await cancel(crypto.randomUUID())).state).toBeUndefined(); // unknown: 404
  });

  test("run again from the start when the process running one died, and once across processes", async ({ gateway, db, clock, keys }) => {
    const started = await start(gateway, keys.admin, { from: FROM, to: TO, format: "csv" });
    // A process claims it, then dies: its lease holds, then lapses.
    const lease = gateway.config.EXPORT_JOB_LEASE_S * 1000;
    expect((await claimExportJob(db.prisma, "died", clock.now(), new Date(clock.now().getTime() + lease)))?.id).toBe(started.body.id);
    expect(await gateway.focusExports.runOnce()).toBe(0);
    expect((await job(gateway, keys.admin, started.body.id)).state).toBe("running");
    const other = await startGateway(db, { clock, env: { EXPORT_DIR: gateway.config.EXPORT_DIR! } });
    try {
      clock.advance(lease + 1);
      // Both processes look at once: one runs it.
      const ran = await Promise.all([gateway.focusExports.runOnce(), other.focusExports.runOnce()]);
      expect(ran.sort()).toEqual([0, 1]);
      const done = await job(other, keys.admin, started.body.id);
      expect([done.state, done.attempts]).toEqual(["succeeded", 2]);
      const sync = await download(gateway, `/api/billing/focus-export?from=${FROM}&to=${TO}&format=csv`, bearer(keys.admin));
      const parts = await Promise.all(done.files.map(async (f) => readCsv((await download(gateway, f.url!)).bytes.toString()).rows));
      expect(parts.flat()).toEqual(readCsv(sync.bytes.toString()).rows);
    } finally {
      clock.set(NOW);
      await other.close();
    }
  });

  test("go back to the queue when their process stops, and are cancelled where their process died", async ({ gateway, db, clock, keys }) => {
    const other = await startGateway(db, { clock, env: { EXPORT_DIR: gateway.config.EXPORT_DIR! } });
    const started = await start(gateway, keys.admin, { from: FROM, to: TO, format: "csv" });
    let stopping: Promise<void> | null = null;
    const stop = db.onQuery((sql) => void (sql.includes('FROM "UsageRecord" u JOIN "Sku"') && (stopping ??= other.focusExports.stop())));
    try {
      await other.focusExports.runOnce();
    } finally {
      stop();
      await stopping;
      await other.close();
    }
    const requeued = await job(gateway, keys.admin, started.body.id);
    expect([requeued.state, requeued.attempts, requeued.files]).toEqual(["queued", 0, []]);
    expect(await gateway.focusExports.runOnce()).toBe(1);
    expect((await job(gateway, keys.admin, started.body.id)).state).toBe("succeeded");

    // Cancelled while a process that then died held it: cancelled once its lease lapses, never run.
    const orphan = await start(gateway, keys.admin, { from: FROM, to: TO });
    const lease = gateway.config.EXPORT_JOB_LEASE_S * 1000;
    await claimExportJob(db.prisma, "died", clock.now(), new Date(clock.now().getTime() + lease));
    await fetch(`${gateway.url}/api/billing/focus-exports/${orphan.body.id}/cancel`, { method: "POST", headers: bearer(keys.admin) });
    expect((await job(gateway, keys.admin, orphan.body.id)).state).toBe("running");
    clock.advance(lease + 1);
    try {
      expect(await gateway.focusExports.runOnce()).toBe(0);
      expect((await job(gateway, keys.admin, orphan.body.id)).state).toBe("cancelled");
    } finally {
      clock.set(NOW);
    }
  });

  test("fail with a reason when their files cannot be written, and the gateway serves on", async ({ gateway, db, keys }) => {
    const started = await start(gateway, keys.admin, { from: FROM, to: TO, format: "csv" });
    fs.writeFileSync(path.join(gateway.config.EXPORT_DIR!, started.body.id), "a file where the job's folder goes");
    try {
      expect(await gateway.focusExports.runOnce()).toBe(1);
    } finally {
      fs.rmSync(path.join(gateway.config.EXPORT_DIR!, started.body.id));
    }
    const failed = await job(gateway, keys.admin, started.body.id);
    expect([failed.state, failed.error, failed.files]).toEqual(["failed", `The export failed; quote job ${failed.id} to the operator`, []]);
    expect(failed.error).not.toContain(gateway.config.EXPORT_DIR!); // no server path in what the caller sees
    expect((await db.prisma.focusExportJob.findUniqueOrThrow({ where: { id: failed.id } })).lockedBy).toBeNull();
    expect((await fetch(`${gateway.url}/health`)).status).toBe(200);
  });

  test("delete files after their retention", async ({ gateway, db, clock, keys }) => {
    const started = await start(gateway, keys.admin, { from: FROM, to: TO });
    await gateway.focusExports.runOnce();
    const done = await job(gateway, keys.admin, started.body.id);
    const folder = jobFolder(gateway.config.EXPORT_DIR!, await db.prisma.focusExportJob.findUniqueOrThrow({ where: { id: done.id } }));
    expect(fs.readdirSync(folder).length).toBeGreaterThan(0);
    expect(Date.parse(done.expiresAt!) - clock.now().getTime()).toBe(7 * DAY);
    clock.advance(7 * DAY + 1);
    try {
      await gateway.focusExports.runOnce();
      expect(fs.existsSync(path.dirname(folder))).toBe(false);
      const purged = await job(gateway, keys.admin, done.id);
      expect(purged.files.map((f) => f.url)).toEqual(done.files.map(() => null));
    } finally {
      clock.set(NOW);
    }
    expect((await download(gateway, done.files[0]!.url!)).status).toBe(404);
  });

  test("refuse bad requests with a code, before queuing anything", async ({ gateway, db, keys }) => {
    const before = await db.prisma.focusExportJob.count();
    const refused = async (body: unknown, key = keys.admin, type = "application/json") => {
      const response = await fetch(`${gateway.url}/api/billing/focus-exports`, { method: "POST", headers: { ...bearer(key), "content-type": type }, body: typeof body === "string" ? body : JSON.stringify(body) });
      const answer = (await response.json()) as { error: { code: string; param?: string } };
      return [response.status, answer.error.code, answer.error.param];
    };
    expect(await refused("{")).toEqual([400, "INVALID_BODY", "body"]);
    expect(await refused({ from: FROM })).toEqual([400, "INVALID_BODY", "to"]);
    expect(await refused({ from: FROM, to: TO, format: "xlsx" })).toEqual([400, "INVALID_BODY", "format"]);
    expect(await refused({ from: FROM, to: TO, extra: 1 })).toEqual([400, "INVALID_BODY", "body"]);
    expect(await refused({ from: TO, to: FROM })).toEqual([400, "INVALID_RANGE", "from"]);
    expect(await refused({ from: FROM - 400 * DAY, to: TO })).toEqual([400, "RANGE_TOO_LARGE", "to"]);
    expect(await refused({ from: FROM, to: TO }, keys.admin, "text/plain")).toEqual([415, "UNSUPPORTED_MEDIA_TYPE", undefined]);
    expect(await refused({ from: FROM, to: TO }, keys.writeOnly)).toEqual([403, "FORBIDDEN", undefined]);
    expect(await db.prisma.focusExportJob.count()).toBe(before);
    expect((await fetch(`${gateway.url}/api/billing/focus-exports/not-a-uuid`, { headers: bearer(keys.admin) })).status).toBe(400);
  });
});

describe("the monthly FOCUS delivery", () => {
  test("restates a closed month once, the open month daily, and redirects to the latest manifest", async ({ gateway, db, clock, keys }) => {
    const set = await gateway.graphql(parse(`mutation { setFocusDelivery(input: { format: CSV }) { ... on FocusDelivery { format layout } } }`), {}, bearer(keys.admin));
    expect(set.data).toEqual({ setFocusDelivery: { format: "CSV", layout: "FINOPS_HUB" } });
    const monthOf = (at: Date) => at.toISOString().slice(0, 7);
    const open = monthOf(clock.now());
    const closedStart = new Date(clock.now());
    closedStart.setUTCDate(1);
    closedStart.setUTCMonth(closedStart.getUTCMonth() - 1);
    const closed = monthOf(closedStart);
    const deliveries = async () => {
      const answer = await gateway.graphql(parse(`{ workspace { focusExportJobs(first: 50) { edges { node { deliveryMonth state } } } } }`), {}, bearer(keys.admin));
      return (answer.data as { workspace: { focusExportJobs: { edges: { node: { deliveryMonth: string | null; state: string } }[] } } }).workspace.focusExportJobs.edges
        .map((e) => e.node).filter((n) => n.deliveryMonth);
    };
    // Two processes look at once: each run of the delivery is queued once.
    const other = await startGateway(db, { clock, env: { EXPORT_DIR: gateway.config.EXPORT_DIR! } });
    try {
      await Promise.all([gateway.focusExports.runOnce(), other.focusExports.runOnce()]);
    } finally {
      await other.close();
    }
    expect((await deliveries()).map((d) => [d.deliveryMonth, d.state]).sort()).toEqual([[closed, "SUCCEEDED"], [open, "SUCCEEDED"]].sort());
    await gateway.focusExports.runOnce();
    expect((await deliveries()).length).toBe(2); // nothing more the same day
    clock.advance(DAY);
    try {
      await gateway.focusExports.runOnce();
      const months = (await deliveries()).map((d) => d.deliveryMonth).sort();
      // The next day: the open month again (or, past the month's end, the month just closed and the new one).
      expect(months.length).toBe(monthOf(clock.now()) === open ? 3 : 4);
    } finally {
      clock.set(NOW);
    }
    const latest = await fetch(`${gateway.url}/api/billing/focus-exports/latest?month=${closed}`, { headers: bearer(keys.admin), redirect: "manual" });
    expect(latest.status).toBe(302);
    const manifest = JSON.parse((await download(gateway, latest.headers.get("location")!)).bytes.toString()) as { month: string; files: unknown[] };
    expect(manifest.month).toBe(closed);
    expect((await fetch(`${gateway.url}/api/billing/focus-exports/latest?month=1999-01`, { headers: bearer(keys.admin) })).status).toBe(404);
    expect((await fetch(`${gateway.url}/api/billing/focus-exports/latest?month=2026-13`, { headers: bearer(keys.admin) })).status).toBe(400);
    const removed = await gateway.graphql(parse(`mutation { removeFocusDelivery }`), {}, bearer(keys.admin));
    expect(removed.data).toEqual({ removeFocusDelivery: true });
  });

  test("is the admin's to set, and jobs start and cancel over GraphQL too", async ({ gateway, keys }) => {
    const viewer = await gateway.graphql(parse(`mutation { setFocusDelivery(input: {}) { __typename } }`), {}, bearer(keys.writeOnly));
    expect(viewer.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    const started = await gateway.graphql(parse(`mutation($from: DateTime!, $to: DateTime!) { startFocusExport(input: { from: $from, to: $to, format: JSONL }) { ... on FocusExportJob { id state format layout } } }`), { from: new Date(FROM).toISOString(), to: new Date(TO).toISOString() }, bearer(keys.admin));
    const queued = (started.data as { startFocusExport: { id: string; state: string; format: string; layout: string } }).startFocusExport;
    expect([queued.state, queued.format, queued.layout]).toEqual(["QUEUED", "JSONL", "SINGLE"]);
    const cancelled = await gateway.graphql(parse(`mutation($id: ID!) { cancelFocusExport(id: $id) { ... on FocusExportJob { state } } }`), { id: queued.id }, bearer(keys.admin));
    expect(cancelled.data).toEqual({ cancelFocusExport: { state: "CANCELLED" } });
    const node = await gateway.graphql(parse(`query($id: ID!) { node(id: $id) { ... on FocusExportJob { state } } }`), { id: queued.id }, bearer(keys.foreign));
    expect(node.data).toEqual({ node: null });
  });
});
