// `prisma generate` wants to download its native schema engine, which it does not use; pointing
// PRISMA_SCHEMA_ENGINE_BINARY at any existing file lets it run offline.
import { execFileSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const bin = path.join(root, "node_modules", ".bin");
const env = {
  ...process.env,
  PATH: `${bin}${path.delimiter}${process.env.PATH}`,
  PRISMA_SCHEMA_ENGINE_BINARY: fileURLToPath(import.meta.url),
  PRISMA_HIDE_UPDATE_MESSAGE: "1",
};
execFileSync(path.join(bin, "prisma"), ["generate"], { stdio: "inherit", env, cwd: root });
