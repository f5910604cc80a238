// Relay global ids: base64 of "<Type>:<id>". An id that does not decode, or names a type the API
// does not have, is refused here rather than looked up.
import { ValidationError } from "../errors.js";

export function encodeGlobalId(typename: string, id: bigint | number | string): string {
  return Buffer.from(`${typename}:${id}`).toString("base64");
}

export function decodeGlobalId(globalId: string, nodeTypes: ReadonlySet<string>, field = "id"): { typename: string; id: string } {
  const text = globalId.length <= 200 ? Buffer.from(globalId, "base64").toString("utf8") : "";
  const separator = text.indexOf(":");
  const typename = text.slice(0, separator);
  const id = text.slice(separator + 1);
  // Only canonical base64 of a known type and a printable id is a global id this API issued.
  if (separator < 1 || encodeGlobalId(typename, id) !== globalId || !nodeTypes.has(typename) || !/^[\w-]{1,100}$/.test(id)) {
    throw ValidationError.single(field, `${globalId.slice(0, 100)} is not a global id of this API`);
  }
  return { typename, id };
}
