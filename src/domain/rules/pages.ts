// Page sizes and cursors. A size outside its range is an error, never a silent cut. A cursor is
// bound to the connection and workspace that issued it and signed, so that one from elsewhere,
// forged or malformed, is refused as INVALID_CURSOR instead of reading a silent or wrong page.
import crypto from "node:crypto";
import { InvalidCursorError, ValidationError } from "../errors.js";
import { integerParam } from "./numbers.js";

export interface PageRule {
  default: number;
  max: number;
}

/** The size of a page: default when absent, else 1 to max. */
export function pageSize(value: number | null | undefined, rule: PageRule, field: string): number {
  if (value == null) return rule.default;
  if (!Number.isInteger(value) || value < 1 || value > rule.max) {
    throw ValidationError.single(field, `${field} must be an integer from 1 to ${rule.max} (got ${value})`);
  }
  return value;
}

/** The same range for a query-string parameter; the domain applies the default. */
export const pageSizeParam = (rule: PageRule, description: string) =>
  integerParam(1, rule.max).optional().meta({ description, override: ({ jsonSchema }) => void (jsonSchema.default = rule.default) });

export interface CursorBinding {
  /** Which connection issued it, for example "Workspace.usageRecords". */
  connection: string;
  workspaceId: string;
}

const VERSION = "c1";
const MAC_BYTES = 12;

/** Signs cursors with a server secret shared by every gateway process of a database. */
export class CursorCodec {
  constructor(private readonly secret: Buffer) {}

  encode(binding: CursorBinding, key: readonly string[]): string {
    const payload = [VERSION, binding.connection, binding.workspaceId, ...key].join("|");
    return `${Buffer.from(payload).toString("base64url")}.${this.mac(payload)}`;
  }

  /** The key parts of a cursor this binding issued; InvalidCursorError naming `field` otherwise. */
  decode(binding: CursorBinding, cursor: string, field: string, keyParts: number): string[] {
    const [body, mac, extra] = cursor.split(".");
    if (!body || !mac || extra !== undefined || cursor.length > 500) throw new InvalidCursorError(field);
    const payload = Buffer.from(body, "base64url").toString();
    const expected = Buffer.from(this.mac(payload));
    const given = Buffer.from(mac);
    if (given.length !== expected.length || !crypto.timingSafeEqual(given, expected)) throw new InvalidCursorError(field);
    const [version, connection, workspaceId, ...key] = payload.split("|");
    if (version !== VERSION || connection !== binding.connection || workspaceId !== binding.workspaceId || key.length !== keyParts) {
      throw new InvalidCursorError(field);
    }
    return key;
  }

  private mac(payload: string): string {
    return crypto.createHmac("sha256", this.secret).update(payload).digest().subarray(0, MAC_BYTES).toString("base64url");
  }
}
