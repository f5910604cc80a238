// A PostgreSQL server of the test's own, on a free port in a temporary folder, that the test may stop
// and start at will (the machine's shared server is never touched). PostgreSQL refuses to run as
// root, so when the tests run as root the cluster belongs to the postgres user.
import { execFile, execFileSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";

const execFileAsync = promisify(execFile);

const BIN = (() => {
  const root = "/usr/lib/postgresql";
  const version = fs.existsSync(root) ? fs.readdirSync(root).sort((a, b) => Number(b) - Number(a))[0] : undefined;
  return version ? path.join(root, version, "bin") : null;
})();

/** Whether this machine can start a server of the test's own. */
export const canStartPostgres = BIN !== null && fs.existsSync(path.join(BIN, "initdb"));

export interface ThrowawayPostgres {
  url: string;
  /** Stops the server at once (fast shutdown: open sessions are cut), as an outage would. */
  stop(): Promise<void>;
  start(): Promise<void>;
  restart(): Promise<void>;
  destroy(): Promise<void>;
}

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export async function startThrowawayPostgres(): Promise<ThrowawayPostgres> {
  if (!BIN) throw new Error("PostgreSQL's server binaries are not installed");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bg-pg-"));
  const asRoot = process.getuid?.() === 0;
  if (asRoot) execFileSync("chown", ["postgres", dir]);
  const command = (tool: string, args: string[]): [string, string[]] =>
    asRoot ? ["runuser", ["-u", "postgres", "--", path.join(BIN, tool), ...args]] : [path.join(BIN, tool), args];
  const run = async (tool: string, ...args: string[]) => void (await execFileAsync(...command(tool, args)));
  const port = await freePort();
  const data = path.join(dir, "data");
  execFileSync(...command("initdb", ["-D", data, "-A", "trust", "-U", "postgres", "--no-sync"]), { stdio: "pipe" });
  // fsync off: the test is about the gateway's answers, not the disk's durability.
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=50`;
  const log = path.join(dir, "server.log");
  const start = () => run("pg_ctl", "-D", data, "-o", options, "-l", log, "-w", "-t", "30", "start");
  const stop = () => run("pg_ctl", "-D", data, "-m", "fast", "-w", "-t", "30", "stop");
  await start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    start,
    stop,
    restart: () => run("pg_ctl", "-D", data, "-o", options, "-l", log, "-m", "fast", "-w", "-t", "30", "restart"),
    async destroy() {
      await stop().catch(() => {}); // already stopped
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
