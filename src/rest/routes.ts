import { activityRoutes } from "./activity.js";
import { billingUsageRoutes } from "./billing-usage.js";
import { creditRoutes } from "./credits.js";
import { eventRoutes } from "./events.js";
import { executionUsageRoutes } from "./execution-usage.js";
import { focusRoutes } from "./focus.js";
import { focusExportRoutes } from "./focus-exports.js";
import type { Route } from "./route.js";
import { usageRollupRoutes } from "./usage-rollup.js";

/** Every REST compatibility route. */
export const REST_ROUTES: Route[] = [...creditRoutes, ...eventRoutes, ...usageRollupRoutes, ...activityRoutes, ...executionUsageRoutes, ...billingUsageRoutes, ...focusRoutes, ...focusExportRoutes];
