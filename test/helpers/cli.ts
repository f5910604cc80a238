// Runs the real command line in a child process, as an operator would.
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import { fileURLToPath } from "node:url";

const BIN = fileURLToPath(new URL("../../bin/billing-gateway.js", import.meta.url));
const BASE_ENV = { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: "warn" };

/** What a command line that runs Node sets ("NAME=value … node --flag … script …"): its environment and Node's flags. */
export function nodeCommandSettings(command: string): { env: Record<string, string>; nodeArgs: string[] } {
  const words = command.trim().split(/\s+/);
  const node = words.indexOf("node");
  const env = Object.fromEntries(words.slice(0, node).map((word) => word.split("=") as [string, string]));
  return { env, nodeArgs: words.slice(node + 1).filter((word) => word.startsWith("--")) };
}

/** `npm start`'s command line, from package.json. */
export function npmStartCommand(): string {
  const { scripts } = JSON.parse(fs.readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { scripts: { start: string } };
  return scripts.start;
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], env: Record<string, string> = {}, timeoutMs = 120_000): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...BASE_ENV, ...env } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export interface RunningServer {
  url: string;
  pid: number;
  apiKey: string | null;
  /** stdout and stderr as they arrived, interleaved. */
  output: () => string;
  /** stdout alone: the JSON log stream. */
  stdout: () => string;
  /** stderr alone: the human start-up banner. */
  stderr: () => string;
  /** Sends SIGTERM; resolves with the exit code, or the signal's name if the process died of one. */
  stop(): Promise<number | string | null>;
  /** Resolves as `stop` does, once the process has ended by itself. */
  exited: Promise<number | string | null>;
}

/** Starts `serve` (on `node`, with its `nodeArgs`) and resolves once its start-up banner is complete. */
export function startServer(env: Record<string, string>, timeoutMs = 120_000, nodeArgs: string[] = [], node = process.execPath): Promise<RunningServer> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(node, [...nodeArgs, BIN, "serve"], { env: { ...BASE_ENV, PORT: "0", LOG_LEVEL: "info", ...env } });
    let output = "";
    const streams = { stdout: "", stderr: "" };
    const exited = new Promise<number | string | null>((done) => child.on("close", (code, signal) => done(code ?? signal)));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`serve did not start:\n${output}`));
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk;
      const url = /GraphiQL:\s+(\S+)\/graphql/.exec(output)?.[1];
      if (url && output.includes("Stop with Ctrl+C.")) {
        clearTimeout(timer);
        resolve({
          url,
          pid: child.pid!,
          apiKey: /Demo API key: (bgk_\S+)/.exec(output)?.[1] ?? null,
          output: () => output,
          stdout: () => streams.stdout,
          stderr: () => streams.stderr,
          stop: async () => {
            child.kill("SIGTERM");
            return exited;
          },
          exited,
        });
      }
    };
    child.stdout!.on("data", (chunk: Buffer) => {
      streams.stdout += chunk;
      onData(chunk);
    });
    child.stderr!.on("data", (chunk: Buffer) => {
      streams.stderr += chunk;
      onData(chunk);
    });
    exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code}:\n${output}`));
    });
  });
}
