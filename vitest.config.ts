import { createRequire } from "node:module";
import { defineConfig } from "vitest/config";

const require = createRequire(import.meta.url);

export default defineConfig({
  resolve: {
    // Node loads graphql's CommonJS build for the dependencies (graphql 16 has no exports map), while
    // Vite would pick its ESM build for our sources; one copy keeps `instanceof` checks working.
    alias: [{ find: /^graphql$/, replacement: require.resolve("graphql") }],
  },
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/helpers/global-setup.ts"],
    pool: "forks",
    maxWorkers: 2,
    // Each file still gets its own database, gateway and clock (fixtures); sharing the workers'
    // module cache saves the 80 s a pass spent importing the gateway once per file.
    isolate: false,
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
