// Builds a migrated embedded database once per run; each test file then loads its own copy of it,
// which takes a fraction of the time of initialising and migrating a new one.
import fs from "node:fs";
import { openPglite } from "../../src/db/client.js";
import { migrate } from "../../src/db/migrate.js";
import { PGLITE_TEMPLATE } from "./database.js";

export default async function setup(): Promise<void> {
  if (process.env.TEST_DB === "postgres") return;
  const db = await openPglite();
  await migrate(db);
  const dump = await db.pglite!.dumpDataDir("none");
  fs.mkdirSync(new URL(".", PGLITE_TEMPLATE), { recursive: true });
  fs.writeFileSync(PGLITE_TEMPLATE, Buffer.from(await dump.arrayBuffer()));
  await db.close();
}
