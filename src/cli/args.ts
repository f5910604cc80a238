import { parseArgs } from "node:util";

/** A wrong command line: exit code 2 and one line. */
export class UsageError extends Error {}

export function parseCommandArgs<T extends NonNullable<Parameters<typeof parseArgs>[0]>["options"]>(args: string[], options: T) {
  return parseArgs({ args, options, allowPositionals: true, strict: true });
}
