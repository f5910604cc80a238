#!/usr/bin/env -S MALLOC_ARENA_MAX=2 node
// Runs the gateway compiled to JavaScript (build/), rebuilding it first when a source has changed.
// The setting is also in `npm start`. MALLOC_ARENA_MAX=2: glibc's allocator keeps up to eight
// arenas per core for V8's helper threads, which held about 20 MB of freed memory in an idle process.
import { pathToFileURL } from "node:url";
import { buildIfStale } from "../scripts/build.mjs";

const entry = await buildIfStale();
process.setSourceMapsEnabled(true); // stack traces name the TypeScript sources
const { main } = await import(pathToFileURL(entry).href);
process.exitCode = await main(process.argv.slice(2));
