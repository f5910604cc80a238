// Identifiers from clients: uuids of workspaces, organizations and keys; row ids of the ledger,
// usage records and executions.

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A row id (bigint) written in decimal digits, or null when the text is not one. */
export function rowId(text: string): bigint | null {
  return /^\d{1,18}$/.test(text) ? BigInt(text) : null;
}
