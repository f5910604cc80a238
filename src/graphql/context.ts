import type { Actor } from "../auth/actor.js";
import type { Logger } from "../config/logger.js";
import type { Database } from "../db/client.js";
import type { Loaders } from "./loaders.js";

export interface GraphQLContext {
  db: Database;
  actor: Actor;
  requestId: string;
  logger: Logger;
  loaders: Loaders;
  focusProviderName: string;
}
