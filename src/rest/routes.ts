import { creditRoutes } from "./credits.js";
import { eventRoutes } from "./events.js";
import type { Route } from "./router.js";

/** Every REST compatibility route. */
export const REST_ROUTES: Route[] = [...creditRoutes, ...eventRoutes];
