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
import "./subscriptions.js";

builder.queryType({});
builder.mutationType({});

export const schema = builder.toSchema({ sortSchema: true });
