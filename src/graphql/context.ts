import type { RequestContext } from "../domain/context.js";
import type { Loaders } from "./loaders.js";

/** The request context, plus the per-request batch loaders GraphQL resolvers share. */
export interface GraphQLContext extends RequestContext {
  loaders: Loaders;
}
