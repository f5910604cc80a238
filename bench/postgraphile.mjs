// PostGraphile v5 (the Amber preset, no authentication) over the bench database's tables, as the
// anchor of `npm run bench`: `public` (the gateway's tables) and `bench` (the rollup functions of
// bench/bench-data.ts). Prints "ready" once it listens on PORT.
import { createServer } from "node:http";
import pg from "pg";
import { postgraphile } from "postgraphile";
import { makePgService } from "postgraphile/adaptors/pg";
import { grafserv } from "postgraphile/grafserv/node";
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";
import { jsonPgSmartTags } from "postgraphile/utils";

const port = Number(process.env.PORT);
// The gateway's pool size (DB_POOL_SIZE's default), so that neither side has more connections.
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 });
// The relations that the gateway's database keeps by triggers rather than foreign keys (migration
// 20261214000000), which PostGraphile would not otherwise see: read from the triggers that check
// them (their arguments: key, column, parent) and declared as its smart tags say.
const { rows: checked } = await pool.query(`
  SELECT c.relname AS child, t.tgargs AS args FROM pg_trigger t
  JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_proc p ON p.oid = t.tgfoid
  WHERE p.proname = 'parent_rows_exist' AND (t.tgtype & 4) <> 0`); // the INSERT triggers, one a relation
const foreignKeys = {};
for (const { child, args } of checked) {
  const [, column, parent] = args.toString("utf8").split("\0");
  (foreignKeys[child] ??= { tags: { foreignKey: [] } }).tags.foreignKey.push(`("${column}") references "${parent}" (id)`);
}
const relations = jsonPgSmartTags({ version: 1, config: { class: foreignKeys } });
const preset = {
  extends: [PostGraphileAmberPreset],
  plugins: [relations],
  pgServices: [makePgService({ pool, schemas: ["public", "bench"] })],
  grafserv: { port, graphqlPath: "/graphql", graphiql: false, watch: false },
  grafast: { explain: false },
};
const pgl = postgraphile(preset);
const server = createServer();
server.on("error", (error) => {
  console.error(error);
  process.exit(1);
});
await pgl.createServ(grafserv).addTo(server);
server.listen(port, "127.0.0.1", () => console.log("ready"));
process.on("SIGTERM", async () => {
  server.close();
  await pgl.release();
  await pool.end();
  process.exit(0);
});
