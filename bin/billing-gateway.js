#!/usr/bin/env -S MALLOC_ARENA_MAX=2 node --heap-growing-percent=25 --max-semi-space-size=8 --no-allocation-site-pretenuring --expose-gc
// Runs the gateway compiled to JavaScript (build/), rebuilding it first when a source has changed.
// These settings are also in `npm start` (docs/operations.md, Runtime). MALLOC_ARENA_MAX=2: glibc's
// allocator keeps up to eight arenas per core for V8's helper threads, which held about 20 MB of
// freed memory in an idle process. --heap-growing-percent=25: the old generation may grow a quarter
// past what the last full collection kept, not up to four times: after a burst of ingestion it held
// 186 MB instead of 261. --max-semi-space-size=8: the young generation stays at 16 MB instead of
// 32 (Node 24: 64 and more) under load. With 16 the process held about 195 MB after a burst of
// ingestion instead of 179, and an export that followed peaked at 201 (its target is 200); 8 costs
// the dashboard about 13% of its requests a second. --no-allocation-site-pretenuring: under
// concurrent load a request's objects outlive young collections, V8 then allocates them in the old
// generation from then on, and every later request paid for it (`{ __typename }` cost twice the
// CPU after a dashboard load).
// --expose-gc: the gateway collects once it goes quiet after a burst (src/http/idle-memory.ts),
// which Node 24 needs.
import { pathToFileURL } from "node:url";
import { buildIfStale } from "../scripts/build.mjs";

// Unless set otherwise: graphql-js then skips its check for a second copy of itself on every type
// test (about 5% of a dashboard request's CPU), and Prisma's errors leave out source snippets.
process.env.NODE_ENV ??= "production";
const entry = await buildIfStale();
process.setSourceMapsEnabled(true); // stack traces name the TypeScript sources
const { main } = await import(pathToFileURL(entry).href);
process.exitCode = await main(process.argv.slice(2));
