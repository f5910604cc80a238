// Relay connections over keyset reads, for every listing the GraphQL API pages: the page-size rule,
// signed cursors bound to the connection and workspace, and the Relay algorithm for first/last.
import type { RequestContext } from "./context.js";
import { InvalidCursorError } from "./errors.js";
import { rowId } from "./rules/ids.js";
import { readEpochMs } from "./rules/instants.js";
import { pageSize, type PageRule } from "./rules/pages.js";

/** GraphQL page sizes: 50 by default, 500 at most; more is an error rather than a silent cut. */
export const GRAPHQL_PAGE: PageRule = { default: 50, max: 500 };

export interface ConnectionArgs {
  first?: number | null;
  after?: string | null;
  last?: number | null;
  before?: string | null;
}

export interface Connection<T> {
  edges: { node: T; cursor: string }[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
  /** Counted only when asked for. */
  totalCount(): Promise<number>;
}

export interface KeysetRange<K> {
  /** Rows after this key in the connection's order, if set. */
  after: K | null;
  /** Rows before this key in the connection's order, if set. */
  before: K | null;
  /** Read from the end of the range backwards. */
  backwards: boolean;
  take: number;
}

export interface Keyset<T, K> {
  /** The connection's name in cursors, for example "Workspace.usageRecords". */
  connection: string;
  workspaceId: string;
  /** The cursor of a row, and the key it stands for. */
  encode(row: T): string[];
  decode(parts: string[]): K | null;
  parts: number;
  read(range: KeysetRange<K>): Promise<T[]>;
  count(): Promise<number>;
}

/** A range's cursors as bounds on the key: the rows above `above` and below `below`, whichever way the connection runs. */
export function keyBounds<K>(range: Pick<KeysetRange<K>, "after" | "before">, descending: boolean): { above: K | null; below: K | null } {
  return descending ? { above: range.before, below: range.after } : { above: range.after, below: range.before };
}

export async function keysetConnection<T, K>(ctx: RequestContext, keyset: Keyset<T, K>, args: ConnectionArgs, rule = GRAPHQL_PAGE): Promise<Connection<T>> {
  const binding = { connection: keyset.connection, workspaceId: keyset.workspaceId };
  const cursorKey = (cursor: string | null | undefined, field: string): K | null => {
    if (cursor == null) return null;
    const key = keyset.decode(ctx.settings.cursors.decode(binding, cursor, field, keyset.parts));
    if (key === null) throw new InvalidCursorError(field);
    return key;
  };
  const first = args.first == null ? null : pageSize(args.first, rule, "first");
  const last = args.last == null ? null : pageSize(args.last, rule, "last");
  const after = cursorKey(args.after, "after");
  const before = cursorKey(args.before, "before");

  let rows: T[];
  let hasNextPage: boolean;
  let hasPreviousPage: boolean;
  if (first !== null || last === null) {
    // Relay: slice by the cursors, take the first N, then (with last) the last M of those.
    const n = first ?? rule.default;
    rows = await keyset.read({ after, before, backwards: false, take: n + 1 });
    hasNextPage = rows.length > n;
    rows = rows.slice(0, n);
    hasPreviousPage = after !== null || (last !== null && rows.length > last);
    if (last !== null) rows = rows.slice(-last);
  } else {
    rows = (await keyset.read({ after, before, backwards: true, take: last + 1 })).reverse();
    hasPreviousPage = rows.length > last;
    rows = rows.slice(-last);
    hasNextPage = before !== null;
  }
  const sign = (node: T) => ctx.settings.cursors.encode(binding, keyset.encode(node));
  const edges = rows.map((node) => new LazyEdge(node, sign));
  return {
    edges,
    pageInfo: {
      hasNextPage,
      hasPreviousPage,
      get startCursor() { return edges[0]?.cursor ?? null; },
      get endCursor() { return edges.at(-1)?.cursor ?? null; },
    },
    totalCount: () => keyset.count(),
  };
}

/**
 * An edge whose cursor is signed when first read: dashboards seldom ask for cursors, and each costs
 * an HMAC. A class, not an object literal with a getter: V8 builds such a literal by a slow path, as
 * an object of its own shape, which cost about 0.5 KB an edge.
 */
class LazyEdge<T> {
  private signed: string | undefined;

  constructor(
    readonly node: T,
    private readonly sign: (node: T) => string,
  ) {}

  get cursor(): string {
    return (this.signed ??= this.sign(this.node));
  }
}

/** Keys of listings ordered by (time, id), such as usage records and executions. */
export interface TimeIdKey {
  at: Date;
  id: bigint;
}

export const timeIdKey = {
  parts: 2,
  encode: (at: Date, id: bigint) => [String(at.getTime()), id.toString()],
  decode: ([ms, id]: string[]): TimeIdKey | null => {
    const at = readEpochMs(ms!);
    const row = rowId(id);
    return at.ok && row !== null ? { at: at.value, id: row } : null;
  },
};

/**
 * Prisma conditions for the rows strictly after / before keys in an order by (time, id), newest
 * first when `descending`.
 */
export function timeIdRange(field: string, range: Pick<KeysetRange<TimeIdKey>, "after" | "before">, descending: boolean): object[] {
  const beyond = (key: TimeIdKey, later: boolean) => {
    const op = later ? "gt" : "lt";
    return { OR: [{ [field]: { [op]: key.at } }, { [field]: key.at, id: { [op]: key.id } }] };
  };
  return [
    ...(range.after ? [beyond(range.after, !descending)] : []),
    ...(range.before ? [beyond(range.before, descending)] : []),
  ];
}

/** The order of a (time, id) read: the connection's order, or its reverse to read backwards. */
export function timeIdOrder<F extends string>(field: F, descending: boolean, backwards: boolean) {
  const direction = descending !== backwards ? ("desc" as const) : ("asc" as const);
  return [{ [field]: direction } as Record<F, typeof direction>, { id: direction }];
}
