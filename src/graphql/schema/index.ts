import { builder } from "../builder.js";
import "./scalars.js";
import "./errors.js";
import "./organization.js";
import "./workspace.js";
import "./api-key.js";
import "./viewer.js";
import "./enums.js";
import "./credit-transaction.js";
import "./credit-lot.js";
import "./usage-record.js";
import "./execution.js";
import "./usage-rollup.js";
import "./activity.js";
import "./focus.js";
import "./focus-export.js";
import "./subscriptions.js";

builder.queryType({ description: "Reads: the caller (viewer), a workspace or organization, and any object by its global id (node, nodes)." });
builder.mutationType({
  description: "Writes. Each returns its payload or an expected error in a result union; a missing scope is a top-level FORBIDDEN error (HTTP 403).",
});

export const schema = builder.toSchema({ sortSchema: true });
