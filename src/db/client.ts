// One Database handle for both engines: Prisma for the domain layer, plus a raw SQL session for the
// migration runner and bulk loads, which need multi-statement scripts and a single connection.
import fs from "node:fs";
import type { Writable } from "node:stream";
import path from "node:path";
import pg from "pg";
import { to as copyTo } from "pg-copy-streams";
import type { PGlite } from "@electric-sql/pglite";
import { PrismaPg } from "@prisma/adapter-pg";
import type { PrismaPGlite } from "pglite-prisma-adapter";
import { PrismaClient } from "./generated/client.js";
import type { Config } from "../config/config.js";
import { StartupError } from "../config/startup-error.js";
import { UnavailableError } from "../domain/errors.js";
import { databaseFault } from "./faults.js";
import { gatewayTypes } from "./timestamps.js";

export type { PrismaClient };
export type DatabaseKind = "pglite" | "postgres";

/** A single database connection: session state (advisory locks, BEGIN) stays on it. */
export interface SqlSession {
  query<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  /** Runs a script of several statements without parameters. */
  exec(script: string): Promise<void>;
}

export interface Database {
  kind: DatabaseKind;
  prisma: PrismaClient;
  /** The embedded engine itself, when the database is PGlite. */
  pglite?: PGlite;
  /** One connection for work outside requests (migrations, seeds), without the statement timeout (an hour at most on PostgreSQL). */
  withSession<T>(fn: (session: SqlSession) => Promise<T>): Promise<T>;
  /**
   * Runs `fn` in a transaction on one connection, rows as the driver gives them: the ledger's
   * writes, whose large statements cost about 10 ms more each through Prisma's interactive
   * transactions. A connection not free within `maxWaitMs` fails as OVERLOADED; `fn` throwing rolls back.
   * Statements asked for before the earlier ones answer run in the order asked, sent together on
   * PostgreSQL (a pipeline); once one fails, those after it fail too, as the transaction is aborted.
   */
  transaction<T>(fn: (run: (sql: string, params: unknown[]) => Promise<unknown[]>) => Promise<T>, options: { maxWaitMs: number }): Promise<T>;
  /**
   * One parameterized read whose rows go to `onRow` as they arrive, as arrays of text (select
   * `::text`), and are never gathered: the export's hot path, where Prisma's row objects cost half
   * the throughput, and where pages of rows kept until written outlived young collections (2 MB
   * promoted per collection, the old generation growing 200 MB during an export). Resolves once
   * the last row has been taken; an `onRow` that throws rejects it.
   */
  streamRows(text: string, params: unknown[], onRow: (row: (string | null)[]) => void): Promise<void>;
  /**
   * The text of `COPY (…) TO STDOUT` in chunks as PostgreSQL sends them, and no more while the
   * caller is busy; leaving early gives up the connection. Absent on PGlite, which has no such stream.
   */
  copyOut?(text: string): AsyncIterable<Buffer>;
  /**
   * One parameterized read outside any transaction, rows as the driver gives them (numeric as
   * text): for hot reads whose rows Prisma's raw-query mapping costs more than the query itself.
   * Its plan (ReadPlan): by default prepared on each connection (statementNames), PostgreSQL
   * choosing when to stop planning it anew.
   */
  query(text: string, params: unknown[], options?: { plan?: ReadPlan }): Promise<Record<string, unknown>[]>;
  /** Calls `listener` with every SQL statement Prisma sends; returns the unsubscribe function. */
  onQuery(listener: (sql: string) => void): () => void;
  /** The connections at this moment (for metrics); PGlite has one. */
  connections(): ConnectionCounts;
  /** Follows PostgreSQL's NOTIFY messages on `channel`; resolves with the function that stops. */
  listen(channel: string, handlers: ListenHandlers): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

/**
 * How a read is planned on PostgreSQL where the default (prepared; PostgreSQL plans it anew for
 * its values, or keeps one generic plan once five custom ones cost no less) does not fit.
 * "generic": prepared on connections that plan each text once, for any values
 * (plan_cache_mode): for reads whose every condition is an index's key or range, read in that
 * index's order (a lookup, a keyset page, a rollup's parts), which one plan suits, and which
 * PostgreSQL otherwise planned anew on every request at more cost than running them. "custom":
 * unprepared, planned for its values each time: for reads where they decide which index pays (a
 * ledger page's window). PGlite plans every statement for its values.
 */
export type ReadPlan = "custom" | "generic";

export interface ListenHandlers {
  onMessage(payload: string): void;
  /** False when messages may be missed from now on (the listening connection dropped); true once listening (again). */
  onListening(listening: boolean): void;
}

export interface ConnectionCounts {
  idle: number;
  busy: number;
  /** Requests waiting for a connection. */
  waiting: number;
}

/** A Prisma client that reports its statements to the listeners of `onQuery`. */
function observedClient(adapter: PrismaPg | PrismaPGlite) {
  const prisma = new PrismaClient({ adapter, log: [{ emit: "event", level: "query" }] });
  const listeners = new Set<(sql: string) => void>();
  prisma.$on("query", (event: { query: string }) => listeners.forEach((listener) => listener(event.query)));
  const onQuery = (listener: (sql: string) => void) => {
    listeners.add(listener);
    return () => void listeners.delete(listener);
  };
  const notify = (sql: string) => listeners.forEach((listener) => listener(sql));
  return { prisma, onQuery, notify };
}

/** Distinct statement texts that get a prepared statement on each connection; later ones run unprepared. */
const PREPARED_STATEMENTS_MAX = 500;

/**
 * Distinct texts of generic reads prepared on each connection of theirs, each holding its plan
 * (a rollup's, about 200 KB): 20 MB a connection at most. Rollups come in many shapes (dimensions,
 * metrics, a window's cut days); past the bound they are planned for their values instead.
 */
const GENERIC_STATEMENTS_MAX = 100;

/**
 * Names for the hot reads' prepared statements, one per distinct text. Sent unnamed, each was
 * parsed and planned anew: about 2.9 ms of a dashboard request's PostgreSQL time (server log),
 * more than running most of them. Prepared, a connection parses a text once, and where PostgreSQL
 * finds a generic plan no worse than the custom ones it stops planning too. Their texts come from
 * the stores' code (values are parameters) and, for a page, the columns its selection reads: a
 * bounded set; the limit guards against a bug that inlines values, and against a client that asks
 * for many different selections (past it they run unprepared).
 */
export function statementNames(max = PREPARED_STATEMENTS_MAX, prefix = "gw"): (text: string) => string | undefined {
  const names = new Map<string, string>();
  return (text) => {
    let name = names.get(text);
    if (name === undefined && names.size < max) names.set(text, (name = `${prefix}${names.size}`));
    return name;
  };
}

/**
 * A query whose rows go to its row listeners and are never gathered. The driver gathers a query's
 * rows whenever it has a callback, and it gives every query one when a read timeout is set (as
 * here); this turns the gathering off once the rows' description has come. Tested in
 * test/db/stream-rows.test.ts, which sees the result hold no rows.
 */
export class StreamedQuery extends pg.Query {
  handleRowDescription(message: unknown): void {
    (pg.Query.prototype as unknown as { handleRowDescription(message: unknown): void }).handleRowDescription.call(this, message);
    (this as unknown as { _accumulateRows: boolean })._accumulateRows = false;
  }
}

/** Start-up failures that must stop the process with one clear line. */
export class DatabaseStartError extends StartupError {}

export type PostgresOptions = Pick<
  Config,
  "DB_POOL_SIZE" | "DB_CONNECTION_TIMEOUT_MS" | "DB_IDLE_TIMEOUT_MS" | "DB_STATEMENT_TIMEOUT_MS"
>;

/**
 * How long a session's statement may keep the driver waiting for its answer (withSession): an
 * hour, where a fill of 10,000,000 usage records takes 80 s, and a link lost without a reset is
 * given up on before TCP's keepalive would notice it.
 */
const SESSION_READ_TIMEOUT_MS = 3_600_000;

/** How much longer than the statement timeout the driver waits for an answer. */
const READ_TIMEOUT_MARGIN_MS = 5_000;

export async function openPostgres(url: string, options: PostgresOptions): Promise<Database> {
  const pool = new pg.Pool(poolSettings(url, options));
  // An idle client losing its server must not crash the process; the next query reports it.
  pool.on("error", () => {});
  try {
    await pool.query("SELECT 1");
  } catch (error) {
    await pool.end().catch(() => {});
    throw new DatabaseStartError(`Cannot reach PostgreSQL at ${describeUrl(url)} (DATABASE_URL): ${messageOf(error)}`);
  }
  const { prisma, onQuery, notify } = observedClient(new PrismaPg(pool));
  const nameOf = statementNames();
  const genericNameOf = statementNames(GENERIC_STATEMENTS_MAX, "gwg");
  // Pipelined pools (below) each with its session settings, their idle clients' errors heard as the first pool's.
  const pipelinedPool = (sessionSettings?: string) => {
    const pipelined = new pg.Pool({ ...poolSettings(url, options, sessionSettings), pipeline: true });
    pipelined.on("error", () => {});
    return pipelined;
  };
  // Reads in pipelines (batchedReads) on connections of their own: pg refuses COPY and cursors on
  // a pipelined connection, and reads of other requests must not wait behind a transaction.
  const readPool = pipelinedPool();
  const read = batchedReads(readPool, options.DB_STATEMENT_TIMEOUT_MS);
  // Reads that keep one generic plan per text ("generic"), on connections of their own. The
  // dashboard's were planned anew on every request: its rollup (about 0.8 ms, PostgreSQL never
  // choosing the generic plan, whose estimate for a window of unknown width came to 16 times the
  // custom plans'), its pages and lookups (binds longer than their runs). The setting cannot be
  // the reads' pool's: a ledger page over a year's window took 1.2 s on a generic plan, 0.3 ms on
  // a custom one.
  const genericPool = pipelinedPool("-c plan_cache_mode=force_generic_plan");
  const readGeneric = batchedReads(genericPool, options.DB_STATEMENT_TIMEOUT_MS);
  // Transactions on pipelined connections of their own: statements a ledger write asks for
  // together (`together`: the lock and the open lots; the lots, allocations and balance) go out in
  // one write instead of each after the answer to the one before, a round trip that a write held
  // its workspace's lock for, waiting on the event loop (docs/operations.md, Runtime).
  const writePool = pipelinedPool();
  const pools = [pool, readPool, genericPool, writePool];
  const sum = (count: (pool: pg.Pool) => number) => pools.reduce((total, each) => total + count(each), 0);
  return {
    kind: "postgres",
    prisma,
    onQuery,
    async streamRows(text, params, onRow) {
      notify(text);
      await onCheckedOut(await pool.connect(), (client) =>
        new Promise<void>((resolve, reject) => {
          let failure: unknown = null;
          const config: pg.QueryArrayConfig = { name: nameOf(text), text, values: params, rowMode: "array" };
          // The callback also hears the driver's read timeout (query_timeout), which 'error' does not.
          const query = new StreamedQuery(config, undefined, (error) => (error ? reject(error) : failure === null ? resolve() : reject(failure)));
          query.on("row", (row: (string | null)[]) => {
            if (failure !== null) return;
            try {
              onRow(row);
            } catch (error) {
              failure = error; // thrown here it would escape into the driver's socket handler
            }
          });
          client.query(query);
        }),
      );
    },
    async *copyOut(text) {
      notify(text);
      const client = await pool.connect();
      const stream = copyTo(text);
      const ignore = () => {};
      client.on("error", ignore); // a connection lost mid-stream fails the stream instead
      let finished = false;
      try {
        for await (const chunk of client.query(stream)) yield chunk as Buffer;
        finished = true;
      } finally {
        // pg's read timeout (query_timeout) ends once the query's callback is called, which the COPY
        // stream never does itself: unended, it would fail the stream a minute later.
        (stream as unknown as { callback?: () => void }).callback?.();
        stream.on("error", ignore);
        client.off("error", ignore);
        // Stopped mid-stream (or failed), the connection is still in its COPY: it cannot be reused.
        client.release(!finished);
      }
    },
    async query(text, params, options) {
      notify(text);
      const plan = options?.plan;
      const generic = plan === "generic" ? genericNameOf(text) : undefined;
      if (generic !== undefined) return (await readGeneric({ name: generic, text, values: params })).rows;
      // Past the generic texts' bound, a generic read is planned for its values, as a custom one.
      return (await read({ name: plan === undefined ? nameOf(text) : undefined, text, values: params })).rows;
    },
    connections: () => ({
      idle: sum((each) => each.idleCount),
      busy: sum((each) => each.totalCount - each.idleCount),
      waiting: sum((each) => each.waitingCount),
    }),
    listen: (channel, handlers) => listenOnOwnConnection(url, channel, handlers),
    async transaction(fn, { maxWaitMs }) {
      return onCheckedOut(await connectWithin(writePool, maxWaitMs), async (client, state) => {
        let sent = 0;
        const run = async (text: string, params: unknown[]) => {
          notify(text);
          // pg's read timeout runs from the moment a statement is sent: one sent behind others may
          // wait for each of them to reach the statement timeout before its own turn (batchedReads).
          const query_timeout = ++sent * options.DB_STATEMENT_TIMEOUT_MS + READ_TIMEOUT_MARGIN_MS;
          try {
            // Prepared too (statementNames): planning the ledger's and the aggregates' statements
            // anew took 5 ms of each ingested batch. Not those without parameters, whose few texts
            // carry their values (SET LOCAL lock_timeout = …).
            return (await client.query({ name: params.length > 0 ? nameOf(text) : undefined, text, values: params, query_timeout } as pg.QueryConfig)).rows;
          } catch (error) {
            // A connection that failed mid-statement may be unusable: it leaves the pool.
            state.broken ||= databaseErrorBreaksConnection(error);
            throw error;
          } finally {
            sent--;
          }
        };
        try {
          // The ledger's writes rely on each statement seeing what committed before it (a key skipped
          // on conflict is then found), whatever the server's default isolation.
          await client.query("BEGIN ISOLATION LEVEL READ COMMITTED");
          const result = await fn(run);
          await client.query("COMMIT");
          return result;
        } catch (error) {
          state.broken ||= databaseErrorBreaksConnection(error);
          if (!state.broken) await client.query("ROLLBACK").catch(() => (state.broken = true));
          throw error;
        }
      });
    },
    async withSession(fn) {
      return onCheckedOut(await pool.connect(), async (client, state) => {
        // Migrations and seeds fill tables from millions of rows: not cut at a request's limits.
        const unbounded = (text: string, values?: unknown[]) => client.query({ text, values, query_timeout: SESSION_READ_TIMEOUT_MS } as pg.QueryConfig);
        try {
          await client.query("SET statement_timeout = 0");
          return await fn({
            query: async (text, params) => (await unbounded(text, params)).rows,
            exec: async (script) => void (await unbounded(script)),
          });
        } finally {
          // Back to the pool's limit (the connection's default) for the requests that take it next.
          if (!state.broken) await client.query("RESET statement_timeout").catch(() => (state.broken = true));
        }
      });
    },
    async close() {
      await prisma.$disconnect();
      await Promise.all(pools.map((each) => each.end()));
    },
  };
}

/** A pool's connection settings; `sessionSettings` (`-c name=value …`) add to every session's. */
function poolSettings(url: string, options: PostgresOptions, sessionSettings = ""): pg.PoolConfig {
  return {
    connectionString: url,
    max: options.DB_POOL_SIZE,
    connectionTimeoutMillis: options.DB_CONNECTION_TIMEOUT_MS,
    idleTimeoutMillis: options.DB_IDLE_TIMEOUT_MS,
    statement_timeout: options.DB_STATEMENT_TIMEOUT_MS,
    // The client's own limit, after the server's: a query on a connection whose server vanished
    // without a reset (a network partition) fails instead of waiting for TCP to give up.
    query_timeout: options.DB_STATEMENT_TIMEOUT_MS + READ_TIMEOUT_MARGIN_MS,
    keepAlive: true,
    types: gatewayTypes,
    // JIT off: PostgreSQL turns it on from cost estimates alone, and compiling took 250 ms of each
    // 11 ms page of a FOCUS export once CreditAllocation's statistics were missing (3,000 rows/s
    // instead of 120,000); the gateway's statements are short, and none gains from it.
    // No parallel workers either: most of the last pages of a year's export planned two from the
    // statistics' edge, and starting them cost PostgreSQL 3 s of a million-row export's 7; a
    // serial count was as fast. Concurrent requests share the cores anyway.
    options: `-c jit=off -c max_parallel_workers_per_gather=0 ${sessionSettings}`.trim(),
  };
}

interface PendingRead {
  config: pg.QueryConfig;
  resolve: (result: pg.QueryResult) => void;
  reject: (error: unknown) => void;
}

/** The most reads one pipeline carries; more of one turn go in further pipelines, on further connections. */
const PIPELINE_MAX_READS = 8;

/**
 * Reads asked for in the same turn of the event loop (a GraphQL operation's sibling fields, say),
 * sent together on one connection of a pipelined pool in one write, each answered as its result
 * comes. Each statement sent alone cost a write to the socket and woke a PostgreSQL process: with
 * the dashboard's four sibling reads sent together, a request cost 0.6 ms less of Node's CPU and
 * 0.4 ms less of PostgreSQL's (A/B, interleaved; README, Speed). The turn ends as DataLoader's does
 * (the promise jobs queued so far, then a tick). Statements run in order on their connection, each
 * in its own implicit transaction (a Sync each), so one failing does not fail the others.
 */
function batchedReads(pool: pg.Pool, statementTimeoutMs: number): (config: pg.QueryConfig) => Promise<pg.QueryResult> {
  let batch: PendingRead[] | null = null;
  const send = async (reads: PendingRead[]) => {
    let client: pg.PoolClient;
    try {
      client = await pool.connect();
    } catch (error) {
      for (const read of reads) read.reject(error);
      return;
    }
    await onCheckedOut(client, async (client, state) => {
      // pg writes each query when asked (its own cork and uncork); corked around them, the socket writes once.
      const socket = (client as unknown as { connection: { stream: Writable } }).connection.stream;
      const answered: Promise<void>[] = [];
      socket.cork();
      try {
        reads.forEach((read, position) => {
          // pg's read timeout runs from the moment a query is sent: one behind others may wait for
          // each of them to reach the statement timeout before its own turn comes.
          const config = { ...read.config, query_timeout: (position + 1) * statementTimeoutMs + READ_TIMEOUT_MARGIN_MS };
          answered.push(client.query(config).then(read.resolve, (error: unknown) => {
            state.broken ||= databaseErrorBreaksConnection(error);
            read.reject(error);
          }));
        });
      } catch (error) {
        // Not reached with the configurations above; should pg throw, the reads not sent fail with it.
        for (const read of reads.slice(answered.length)) read.reject(error);
      } finally {
        socket.uncork();
      }
      await Promise.all(answered);
    });
  };
  return (config) => new Promise((resolve, reject) => {
    if (!batch || batch.length === PIPELINE_MAX_READS) {
      const reads: PendingRead[] = (batch = []);
      void Promise.resolve().then(() => process.nextTick(() => {
        if (batch === reads) batch = null;
        void send(reads);
      }));
    }
    batch.push({ config, resolve, reject });
  });
}

/**
 * Runs `fn` on a checked-out client and gives the client back. Its errors (the server ending the
 * session) come as events, and one unheard crashes the process. Heard, thrown by `fn` after a
 * statement failed in a way that may leave the connection unusable, or marked by `fn` (a failure
 * it caught), they make the connection leave the pool.
 */
async function onCheckedOut<T>(client: pg.PoolClient, fn: (client: pg.PoolClient, state: { broken: boolean }) => Promise<T>): Promise<T> {
  const state = { broken: false };
  const onError = () => (state.broken = true);
  client.on("error", onError);
  try {
    return await fn(client, state);
  } catch (error) {
    state.broken ||= databaseErrorBreaksConnection(error);
    throw error;
  } finally {
    client.off("error", onError);
    client.release(state.broken);
  }
}

/** A ledger write that got no connection within its wait: refused, having written nothing. */
const noConnectionInTime = () => new UnavailableError("OVERLOADED", "The gateway is busy; retry shortly", 1);

/**
 * What `begin` gets within `ms`, or OVERLOADED. `begin` calls `admit` once its turn comes: false
 * when the caller has already given up, and it backs out. Written here because a pool's own
 * timeout is one setting for every caller, and a ledger write has only what its queue left.
 */
function waitAtMost<T>(ms: number, begin: (admit: () => boolean) => Promise<T>): Promise<T> {
  let late = false;
  let timer: NodeJS.Timeout | undefined;
  const refused = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      late = true;
      reject(noConnectionInTime());
    }, Math.max(1, ms));
  });
  const work = begin(() => {
    clearTimeout(timer);
    return !late;
  });
  // Whichever loses the race is settled unheard.
  refused.catch(() => {});
  work.catch(() => {}).finally(() => clearTimeout(timer));
  return Promise.race([work, refused]);
}

/** A pool connection within `ms`, or OVERLOADED; one that arrives after the caller gave up goes straight back. */
function connectWithin(pool: pg.Pool, ms: number): Promise<pg.PoolClient> {
  return waitAtMost(ms, async (admit) => {
    const client = await pool.connect();
    if (admit()) return client;
    client.release();
    throw noConnectionInTime();
  });
}

/**
 * Errors after which a connection is not handed out again: the server or the socket went away, or
 * the client stopped waiting for an answer (a statement the server cancelled leaves it usable).
 */
function databaseErrorBreaksConnection(error: unknown): boolean {
  const fault = databaseFault(error);
  return fault === "DATABASE_UNAVAILABLE" || (fault === "TIMEOUT" && (error as { code?: unknown }).code !== "57014");
}

const LISTEN_HEARTBEAT_MS = 15_000;

/**
 * LISTEN on a connection of its own (a pooled one would be handed to others), opened again a
 * second after it drops, for as long as the handle is open. A connection that only listens sends
 * nothing, so one cut silently (a NAT or proxy dropping idle connections) would look alive: a
 * heartbeat query every 15 s notices it.
 */
async function listenOnOwnConnection(url: string, channel: string, handlers: ListenHandlers): Promise<() => Promise<void>> {
  let stopped = false;
  let current: pg.Client | null = null;
  let opening: pg.Client | null = null;
  let retry: NodeJS.Timeout | null = null;
  const retrySoon = () => {
    if (!stopped && !retry) retry = setTimeout(() => ((retry = null), void connect()), 1_000).unref();
  };
  const heartbeat = setInterval(() => void current?.query("SELECT 1").catch(() => current?.end().catch(() => {})), LISTEN_HEARTBEAT_MS).unref();
  const connect = async () => {
    const client = new pg.Client({ connectionString: url, keepAlive: true, keepAliveInitialDelayMillis: 10_000, connectionTimeoutMillis: 5_000, query_timeout: 5_000 });
    opening = client;
    client.on("notification", (message) => message.channel === channel && handlers.onMessage(message.payload ?? ""));
    client.on("error", () => {}); // followed by "end"
    client.on("end", () => {
      if (current === client) {
        current = null;
        handlers.onListening(false);
      }
      retrySoon();
    });
    try {
      await client.connect();
      await client.query(`LISTEN "${channel}"`);
    } catch {
      client.end().catch(() => {});
      return retrySoon();
    } finally {
      if (opening === client) opening = null;
    }
    if (stopped) return void client.end().catch(() => {});
    current = client;
    handlers.onListening(true);
  };
  await connect();
  return async () => {
    stopped = true;
    if (retry) clearTimeout(retry);
    clearInterval(heartbeat);
    const clients = [current, opening];
    current = null;
    await Promise.all(clients.map((client) => client?.end().catch(() => {})));
  };
}

/** Embedded PostgreSQL. `dataDir` undefined keeps the database in memory (tests). */
export async function openPglite(dataDir?: string, loadDataDir?: Blob): Promise<Database> {
  // Loaded only here: a gateway on PostgreSQL does not carry the embedded engine's modules.
  const [{ PGlite }, { PrismaPGlite }] = await Promise.all([import("@electric-sql/pglite"), import("pglite-prisma-adapter")]);
  const release = dataDir ? claimDataDir(dataDir) : () => {};
  let client: PGlite;
  try {
    client = new PGlite({ dataDir, loadDataDir });
    await client.waitReady;
    await client.query("SELECT 1");
  } catch (error) {
    release();
    throw new DatabaseStartError(
      `DATA_DIR ${dataDir} could not be opened as an embedded database (${messageOf(error)}); the folder was left as it was`,
    );
  }
  const inFlight = countInFlight(client);
  const { prisma, onQuery, notify } = observedClient(new PrismaPGlite(client));
  const session: SqlSession = {
    query: async (text, params) => (await client.query(text, params)).rows as never,
    exec: async (script) => void (await client.exec(script)),
  };
  return {
    kind: "pglite",
    prisma,
    pglite: client,
    onQuery,
    async streamRows(text, params, onRow) {
      notify(text);
      // PGlite hands over a result whole: there is no stream to follow.
      for (const row of (await client.query<(string | null)[]>(text, params, { rowMode: "array" })).rows) onRow(row);
    },
    async query(text, params) {
      notify(text);
      return (await client.query<Record<string, unknown>>(text, params)).rows;
    },
    // PGlite's own transaction waits for the one connection, after the statements queued before
    // it; one whose turn comes after the caller's wait finds it late and rolls back.
    transaction: (fn, { maxWaitMs }) =>
      waitAtMost(maxWaitMs, (admit) => client.transaction(async (tx) => {
        if (!admit()) throw noConnectionInTime();
        return fn(async (text, params) => {
          notify(text);
          return (await tx.query(text, params)).rows;
        });
      })),
    // PGlite has one connection; callers use sessions only where nothing else runs (start-up, seeding).
    withSession: (fn) => fn(session),
    connections: () => ({ idle: inFlight() === 0 ? 1 : 0, busy: Math.min(1, inFlight()), waiting: Math.max(0, inFlight() - 1) }),
    // One process, one connection: it never misses a message.
    async listen(channel, handlers) {
      const stop = await client.listen(channel, handlers.onMessage);
      handlers.onListening(true);
      return stop;
    },
    async close() {
      await prisma.$disconnect();
      await client.close();
      release();
    },
  };
}

/**
 * Counts the queries and transactions under way or queued on PGlite's one connection (it keeps its
 * queue private): the adapter and our own reads all go through `query` and `transaction`.
 */
function countInFlight(client: PGlite): () => number {
  let count = 0;
  const track = <A extends unknown[], R>(fn: (...args: A) => Promise<R>) => (...args: A): Promise<R> => {
    count++;
    return fn(...args).finally(() => count--);
  };
  client.query = track(client.query.bind(client)) as PGlite["query"];
  client.transaction = track(client.transaction.bind(client)) as PGlite["transaction"];
  return () => count;
}

export async function openDatabase(config: Config): Promise<Database> {
  if (config.DATABASE_URL) return openPostgres(config.DATABASE_URL, config);
  return openPglite(path.resolve(config.DATA_DIR));
}

/**
 * PGlite is single-process: a second process writing the same folder would corrupt it. A lock file
 * with the owner's pid keeps a second gateway out; a lock left by a dead process is taken over.
 */
function claimDataDir(dataDir: string): () => void {
  if (fs.existsSync(dataDir)) {
    const entries = fs.readdirSync(dataDir).filter((name) => name !== "gateway.lock" && name !== "demo-api-key");
    if (entries.length > 0 && !entries.includes("PG_VERSION")) {
      throw new DatabaseStartError(
        `DATA_DIR ${dataDir} is not empty and holds no embedded database; choose an empty or existing database folder`,
      );
    }
  } else {
    fs.mkdirSync(dataDir, { recursive: true });
  }
  const lockFile = path.join(dataDir, "gateway.lock");
  try {
    fs.writeFileSync(lockFile, String(process.pid), { flag: "wx" });
  } catch {
    const owner = Number(fs.readFileSync(lockFile, "utf8"));
    if (owner !== process.pid && isAlive(owner)) {
      throw new DatabaseStartError(`DATA_DIR ${dataDir} is in use by another gateway process (pid ${owner})`);
    }
    fs.writeFileSync(lockFile, String(process.pid));
  }
  return () => fs.rmSync(lockFile, { force: true });
}

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** host:port/database, never the password. */
export function describeUrl(url: string): string {
  const parsed = new URL(url);
  return `${parsed.hostname}:${parsed.port || 5432}${parsed.pathname}`;
}

function messageOf(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) return messageOf(error.errors[0]);
  return error instanceof Error ? error.message || error.name : String(error);
}
