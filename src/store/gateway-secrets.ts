// Secrets shared by the gateway processes of one database: the first to ask creates it.
import crypto from "node:crypto";
import { col, parseRows, type RunSql } from "./rows.js";

export async function gatewaySecret(run: RunSql, name: string): Promise<Buffer> {
  await run(`INSERT INTO "GatewaySecret" (name, secret) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`, [name, crypto.randomBytes(32).toString("hex")]);
  const [row] = parseRows({ secret: col.text() }, await run(`SELECT secret FROM "GatewaySecret" WHERE name = $1`, [name]));
  return Buffer.from(row!.secret, "hex");
}
