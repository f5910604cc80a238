#!/usr/bin/env -S node --max-semi-space-size=32
// Runs the gateway compiled to JavaScript (build/), rebuilding it first when a source has changed.
// --max-semi-space-size=32 (also in `npm start`): a young generation big enough that an export's
// short-lived batches die young; at Node's default they are promoted and memory grows ~100 MB.
import { pathToFileURL } from "node:url";
import { buildIfStale } from "../scripts/build.mjs";

const entry = await buildIfStale();
process.setSourceMapsEnabled(true); // stack traces name the TypeScript sources
const { main } = await import(pathToFileURL(entry).href);
process.exitCode = await main(process.argv.slice(2));
