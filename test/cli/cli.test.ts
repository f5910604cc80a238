import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { describe, expect, test as base, vi } from "vitest";
import { runCli, startServer } from "../helpers/cli.js";
import { createPostgresDatabase, usingPostgres } from "../helpers/database.js";

// Every test here starts real processes, each opening the embedded database (about 5 s apiece on a
// busy machine): minutes, not the suite's 60 s.
vi.setConfig({ testTimeout: 240_000 });

const JWT_SECRET = "cli-test-secret-that-is-at-least-32-chars";
const tempDir = () => fs.mkdtempSync(path.join(os.tmpdir(), "bg-cli-"));
const lines = (text: string) => text.trim().split("\n").filter(Boolean);

async function graphql(url: string, key: string, query: string) {
  const response = await fetch(`${url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
    body: JSON.stringify({ query }),
  });
  return { status: response.status, body: (await response.json()) as { data?: any; errors?: unknown[] } };
}

describe("start-up failures stop with one clear line and a non-zero exit", () => {
  base("names a bad configuration variable", async () => {
    const result = await runCli(["serve"], { PORT: "abc" });
    expect(result.code).toBe(1);
    expect(lines(result.stderr)).toEqual(['error: Invalid configuration: PORT Invalid input: expected number, received NaN (got "abc")']);
  });

  base("rejects a malformed DATABASE_URL without echoing it", async () => {
    const result = await runCli(["serve"], { DATABASE_URL: "postgres//user:pw@host" });
    expect(result.code).toBe(1);
    expect(lines(result.stderr)).toHaveLength(1);
    expect(result.stderr).toMatch(/DATABASE_URL must be a postgres:\/\//);
    expect(result.stderr).not.toContain("pw@");
  });

  base("reports an unreachable database without its password", async () => {
    const result = await runCli(["serve"], { DATABASE_URL: "postgres://user:secretpw@127.0.0.1:1/billing" });
    expect(result.code).toBe(1);
    expect(lines(result.stderr)).toHaveLength(1);
    expect(result.stderr).toMatch(/^error: Cannot reach PostgreSQL at 127\.0\.0\.1:1\/billing \(DATABASE_URL\)/);
    expect(result.stderr).not.toContain("secretpw");
  });

  base("refuses a corrupt embedded database folder and leaves it as it was", async () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, "PG_VERSION"), "17\n");
    fs.mkdirSync(path.join(dir, "base"));
    fs.writeFileSync(path.join(dir, "base", "junk"), "not a database");
    const before = fs.readdirSync(dir, { recursive: true }).sort();
    const result = await runCli(["serve"], { DATA_DIR: dir, SEED_DEMO: "false" });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: DATA_DIR .* could not be opened as an embedded database .*the folder was left as it was/m);
    expect(fs.readdirSync(dir, { recursive: true }).sort()).toEqual(before);
    expect(fs.readFileSync(path.join(dir, "base", "junk"), "utf8")).toBe("not a database");
  });

  base("refuses a non-empty folder that holds no database", async () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, "notes.txt"), "keep me");
    const result = await runCli(["migrate"], { DATA_DIR: dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/is not empty and holds no embedded database/);
    expect(fs.readdirSync(dir)).toEqual(["notes.txt"]);
  });

  base("reports a port in use", async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const result = await runCli(["serve"], { DATA_DIR: tempDir(), SEED_DEMO: "false", PORT: String(port) });
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(new RegExp(`^error: port ${port} on 127\\.0\\.0\\.1 is already in use \\(PORT\\)$`, "m"));
    } finally {
      blocker.close();
    }
  });

});

describe.skipIf(usingPostgres)("a bug at run time", () => {
  base("logs a bug that escaped every handler as one JSON line with its stack, and exits 1", async () => {
    // A module loaded before the gateway plants an unhandled rejection on SIGUSR2.
    const plant = "data:text/javascript,process.on('SIGUSR2', () => void Promise.reject(new Error('planted bug')))";
    const server = await startServer({ DATA_DIR: tempDir(), SEED_DEMO: "false" }, 120_000, ["--import", plant]);
    process.kill(server.pid, "SIGUSR2");
    expect(await server.exited).toBe(1);
    const log = lines(server.stdout()).map((line) => JSON.parse(line) as { level: number; msg: string; err?: string });
    const fatal = log.filter((line) => line.level === 60);
    expect(fatal).toHaveLength(1);
    expect(fatal[0]!.msg).toBe("unhandled promise rejection");
    expect(fatal[0]!.err).toMatch(/^Error: planted bug\n\s+at /);
    expect(server.stderr()).not.toContain("planted bug");
  });
});

/** One data folder for the file, as a user's checkout has one. */
const test = base
  .extend("dataDir", { scope: "file" }, ({}, { onCleanup }) => {
    const dir = tempDir();
    onCleanup(() => fs.rmSync(dir, { recursive: true, force: true }));
    return dir;
  })
  .extend("postgres", { scope: "file" }, async ({}, { onCleanup }) => {
    const database = await createPostgresDatabase();
    onCleanup(() => database.drop());
    return database;
  });

describe.skipIf(usingPostgres)("the embedded gateway, as a new user meets it", () => {
  test("seeds the demo on first start, serves it with the printed key, and reuses it after a restart", async ({ dataDir }) => {
    const first = await startServer({ DATA_DIR: dataDir });
    const query = `{ workspace { slug creditBalance { credits } } viewer { workspaces { slug } } }`;
    let balance: string;
    try {
      expect(first.output()).toContain("Demo data loaded in");
      expect(first.apiKey).toMatch(/^bgk_/);
      const result = await graphql(first.url, first.apiKey!, query);
      expect(result.status).toBe(200);
      expect(result.body.data.workspace.slug).toBe("acme-prod");
      balance = result.body.data.workspace.creditBalance.credits;
      // A second gateway on the same folder would corrupt it: it is refused.
      const second = await runCli(["serve"], { DATA_DIR: dataDir, PORT: "0" });
      expect(second.code).toBe(1);
      expect(second.stderr).toMatch(/is in use by another gateway process/);
    } finally {
      const code = await first.stop();
      expect(code, first.output().slice(-3000)).toBe(0);
    }
    // After the human banner on stderr, the log on stdout is one JSON object a line; request lines carry their id.
    const banner = /^$|^ {2}(Demo data loaded in|Billing gateway on|GraphiQL:|Demo API key:|Stop with Ctrl\+C\.)/;
    expect(first.stderr().split("\n").filter((line) => !banner.test(line))).toEqual([]);
    const log = lines(first.stdout()).map((line) => JSON.parse(line) as { msg: string; requestId?: string });
    expect(log.filter((line) => line.msg === "request" && !line.requestId)).toEqual([]);
    expect(log.some((line) => line.msg === "request")).toBe(true);
    const again = await startServer({ DATA_DIR: dataDir });
    try {
      expect(again.output()).not.toContain("Demo data loaded");
      expect(again.apiKey).toBe(first.apiKey);
      const result = await graphql(again.url, again.apiKey!, query);
      expect(result.body.data.workspace.creditBalance.credits).toBe(balance!);
    } finally {
      expect(await again.stop()).toBe(0);
    }
  });

  test("puts the demo key in GraphiQL's page only on a loopback address, and not with GRAPHIQL_DEMO_KEY=false", async ({ dataDir }) => {
    for (const [env, embedded] of [[{}, true], [{ HOST: "0.0.0.0" }, false], [{ GRAPHIQL_DEMO_KEY: "false" }, false]] as const) {
      const server = await startServer({ DATA_DIR: dataDir, ...env });
      try {
        expect(server.apiKey).toMatch(/^bgk_/); // the operator's console still shows it
        const page = await fetch(`${server.url}/graphql`, { headers: { accept: "text/html" } });
        const html = await page.text();
        expect(page.headers.get("content-type")).toMatch(/text\/html/);
        expect(html.includes(server.apiKey!), JSON.stringify(env)).toBe(embedded);
      } finally {
        expect(await server.stop()).toBe(0);
      }
    }
  });

  test("creates, lists and revokes keys, and mints session tokens", async ({ dataDir }) => {
    const env = { DATA_DIR: dataDir, JWT_SECRET };
    const created = await runCli(["keys", "create", "--workspace", "acme-research", "--scope", "read:billing", "--scope", "write:usage"], env);
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(/^bgk_[A-Za-z0-9_-]{43}\n$/);
    const key = created.stdout.trim();
    const id = /Created key ([0-9a-f-]{36})/.exec(created.stderr)![1]!;

    const listed = await runCli(["keys", "list", "--workspace", "acme-research"], env);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain(id);
    expect(listed.stdout).toContain(key.slice(0, 10));
    expect(listed.stdout).not.toContain(key);

    expect((await runCli(["keys", "revoke", id], env)).code).toBe(0);
    expect((await runCli(["keys", "list", "--workspace", "acme-research"], env)).stdout).toMatch(new RegExp(`${id}.*revoked`));

    const token = await runCli(["token", "--user", "alice@acme.test"], env);
    expect(token.code).toBe(0);
    expect(token.stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
    const server = await startServer({ ...env });
    try {
      const session = await fetch(`${server.url}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${token.stdout.trim()}` },
        body: JSON.stringify({ query: "{ viewer { kind workspaces { slug } } }" }),
      });
      expect(((await session.json()) as any).data.viewer).toEqual({ kind: "USER", workspaces: [{ slug: "acme-prod" }, { slug: "acme-research" }] });
      expect((await graphql(server.url, key, "{ viewer { kind } }")).status).toBe(401);
    } finally {
      await server.stop();
    }
  });

  test("explains wrong command lines", async ({ dataDir }) => {
    const env = { DATA_DIR: dataDir };
    const unknownWorkspace = await runCli(["keys", "create", "--workspace", "nope", "--scope", "admin"], env);
    expect(unknownWorkspace).toMatchObject({ code: 2, stdout: "" });
    expect(unknownWorkspace.stderr).toMatch(/No workspace with slug "nope"/);
    const badScope = await runCli(["keys", "create", "--workspace", "acme-prod", "--scope", "root"], env);
    expect(badScope.code).toBe(1);
    expect(badScope.stderr).toMatch(/scopes\.0: Invalid option/);
    const badDate = await runCli(["keys", "create", "--workspace", "acme-prod", "--scope", "admin", "--expires", "tomorrow"], env);
    expect(badDate.code).toBe(2);
    const noSecret = await runCli(["token", "--user", "alice@acme.test"], env);
    expect(noSecret.code).toBe(2);
    expect(noSecret.stderr).toMatch(/needs a development JWT_SECRET/);
    expect((await runCli(["frobnicate"], env)).code).toBe(2);
    expect((await runCli(["keys", "revoke", "not-an-id"], env)).stderr).toMatch(/ApiKey not found/);
  });
});

describe.runIf(usingPostgres)("the gateway on PostgreSQL", () => {
  test("migrates, seeds on request, and serves with a CLI-made key", async ({ postgres: database }) => {
    const env = { DATABASE_URL: database.url };
    expect((await runCli(["migrate"], env)).stderr).toMatch(/Applied: 20261122000000_init/);
    const seeded = await runCli(["seed"], env);
    expect(seeded.code).toBe(0);
    const key = (await runCli(["keys", "create", "--workspace", "globex-main", "--scope", "read:billing"], env)).stdout.trim();
    const server = await startServer(env);
    try {
      expect(server.apiKey).toBeNull(); // the demo key is only kept for the embedded database
      const result = await graphql(server.url, key, "{ workspace { slug } }");
      expect(result.body.data.workspace.slug).toBe("globex-main");
      expect(await (await fetch(`${server.url}/ready`)).json()).toEqual({ status: "ready", database: "postgres" });
    } finally {
      expect(await server.stop()).toBe(0);
    }
    expect((await runCli(["seed"], env)).code).toBe(1); // the demo only goes into an empty database
  });

  test("stops with one clear line when its port is in use, though it had begun listening for key changes", async ({ postgres: database }) => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const result = await runCli(["serve"], { DATABASE_URL: database.url, PORT: String(port) }, 60_000);
      expect(result.code).toBe(1); // null: killed after a minute, still alive
      expect(result.stderr).toMatch(new RegExp(`^error: port ${port} on 127\\.0\\.0\\.1 is already in use \\(PORT\\)$`, "m"));
    } finally {
      blocker.close();
    }
  });
});
