// JSON for REST responses. The source APIs show credits and money as JSON numbers; a Decimal is
// written as its exact decimal text, never through a JavaScript float.
import crypto from "node:crypto";
import { Prisma } from "../db/generated/client.js";

/** Random per process, so that no client-supplied string can pass for a number. */
const MARK = `~decimal-${crypto.randomBytes(12).toString("hex")}:`;

export function toJson(value: unknown): string {
  // The holder's own value: JSON.stringify has already applied Decimal's toJSON to `v`.
  return JSON.stringify(value, function (this: Record<string, unknown>, key, v) {
    const original = this[key];
    if (original instanceof Prisma.Decimal) return MARK + original.toFixed();
    if (typeof original === "bigint") return MARK + original.toString();
    return v;
  }).replace(new RegExp(`"${MARK}(-?[0-9.]+)"`, "g"), "$1");
}
