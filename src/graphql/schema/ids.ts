import { UUID } from "../../auth/authenticate.js";

const NO_MATCH = "00000000-0000-0000-0000-000000000000";

/**
 * A unique-where for a node lookup that only matches rows the caller may see. Ids that are not
 * UUIDs match nothing instead of reaching the database as a type error.
 */
export function scopedId(id: string): string {
  return UUID.test(id) ? id : NO_MATCH;
}
