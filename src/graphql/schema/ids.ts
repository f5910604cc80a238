import { UUID } from "../../auth/authenticate.js";
import { scopesIn, type Actor } from "../../auth/actor.js";
import { ValidationError } from "../../domain/errors.js";
import { QUERY_LIMITS } from "../limits.js";

const NO_MATCH = "00000000-0000-0000-0000-000000000000";

/**
 * An id for a node lookup that matches nothing when malformed, instead of reaching the database as
 * a type error.
 */
export function scopedId(id: string): string {
  return UUID.test(id) ? id : NO_MATCH;
}

export function scopedBigId(id: string): bigint {
  return /^\d{1,18}$/.test(id) ? BigInt(id) : -1n;
}

/** Workspaces whose billing data the actor may read. */
export function readableWorkspaceIds(actor: Actor): string[] {
  return actor.workspaceIds.filter((id) => scopesIn(actor, id).includes("read:billing"));
}

/** Page sizes: 50 by default, 500 at most; more is an error rather than a silent cut. */
export const pageSize = {
  defaultSize: QUERY_LIMITS.pageSizeDefault,
  maxSize: (args: { first?: number | null; last?: number | null }) => {
    for (const name of ["first", "last"] as const) {
      const value = args[name];
      if (value != null && value > QUERY_LIMITS.pageSizeMax) {
        throw ValidationError.single(name, `${name} may be at most ${QUERY_LIMITS.pageSizeMax} (got ${value})`);
      }
    }
    return QUERY_LIMITS.pageSizeMax;
  },
};
