// A Redis server of the test's own, on a free port and without persistence, that the test may stop
// and start again on the same port (the machine's shared Redis is never touched).
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import net from "node:net";
import { freePort } from "./throwaway-postgres.js";

// Without libfaketime (the dated test passes preload it into every child): redis-server hangs under it.
const REAL_CLOCK_ENV = Object.fromEntries(Object.entries(process.env).filter(([name]) => name !== "LD_PRELOAD" && !name.startsWith("FAKETIME")));

/** Whether this machine has redis-server. */
export const canStartRedis = spawnSync("redis-server", ["--version"], { env: REAL_CLOCK_ENV, timeout: 10_000 }).status === 0;

export interface ThrowawayRedis {
  url: string;
  /** Kills the server (SIGKILL, as a crash would); resolves once it has exited. */
  stop(): Promise<void>;
  start(): Promise<void>;
}

async function accepting(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1", () => (socket.destroy(), resolve(true)));
    socket.on("error", () => resolve(false));
  });
}

export async function startThrowawayRedis(): Promise<ThrowawayRedis> {
  const port = await freePort();
  let child: ChildProcess | null = null;
  const start = async () => {
    child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: "ignore", env: REAL_CLOCK_ENV });
    for (let i = 0; i < 100 && !(await accepting(port)); i++) await new Promise((resolve) => setTimeout(resolve, 50));
  };
  const stop = async () => {
    const running = child;
    child = null;
    if (!running || running.exitCode !== null) return;
    const exited = new Promise((resolve) => running.once("exit", resolve));
    running.kill("SIGKILL");
    await exited;
  };
  await start();
  return { url: `redis://127.0.0.1:${port}`, start, stop };
}
