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
// 20261214000000), which PostGraphile would not otherwise see: declared as its smart tags say.
const relations = jsonPgSmartTags({
  version: 1,
  config: {
    class: {
      UsageRecord: { tags: { foreignKey: ['("workspaceId") references "Workspace" (id)', '("skuId") references "Sku" (id)'] } },
      CreditTransaction: { tags: { foreignKey: '("workspaceId") references "Workspace" (id)' } },
      CreditAllocation: { tags: { foreignKey: '("transactionId") references "CreditTransaction" (id)' } },
    },
  },
});
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
