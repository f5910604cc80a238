// Writes schema.graphql, the public contract that clients are generated from.
import fs from "node:fs";
import { printSchemaFile } from "../src/graphql/print.js";

fs.writeFileSync(new URL("../schema.graphql", import.meta.url), printSchemaFile());
console.log("schema.graphql written");
