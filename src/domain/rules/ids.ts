// Identifiers from clients: uuids of workspaces, organizations, keys and workflows; row ids of the
// ledger, usage records and executions.
import { z } from "zod";

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A uuid that no row has: a malformed id matches nothing instead of reaching the database as a type error. */
export const NO_MATCH = "00000000-0000-0000-0000-000000000000";

const ROW_ID = /^\d{1,18}$/;

/** A row id (bigint) written in decimal digits, or null when the text is not one. */
export function rowId(text: string | undefined): bigint | null {
  return text !== undefined && ROW_ID.test(text) ? BigInt(text) : null;
}

export const uuid = (what: string) => z.string().regex(UUID, `must be ${what} id (a uuid)`);
export const rowIdParam = (what: string) => z.string().regex(ROW_ID, `must be ${what} id`);
