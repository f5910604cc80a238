// Writing a streamed response with backpressure, gzip-compressed when the client takes it.
import type http from "node:http";
import type { Writable } from "node:stream";
import zlib from "node:zlib";

/**
 * Writes a chunk; when the socket's buffer is full, waits until it drains. False once the client
 * has gone. `written` runs once the chunk has been handed to the operating system.
 */
export async function writeChunk(res: http.ServerResponse, chunk: string | Buffer, written?: () => void): Promise<boolean> {
  if (res.destroyed) return false;
  if (!res.write(chunk, written && ((error) => !error && written()))) await drained(res);
  return !res.destroyed;
}

/** Waits until a stream's buffer drains, or it closes. */
function drained(stream: Writable): Promise<void> {
  // Listeners removed by whichever event comes first, so a long export does not pile them up.
  return new Promise<void>((resolve) => {
    const done = () => {
      stream.off("drain", done);
      stream.off("close", done);
      resolve();
    };
    stream.on("drain", done);
    stream.on("close", done);
  });
}


/**
 * Reads the first item before the caller sends its 200 headers, so that a database fault on the
 * first read still answers 503 with a code instead of a cut-off 200; yields it, then the rest.
 */
export async function primed<T>(items: AsyncIterable<T>): Promise<AsyncIterable<T>> {
  const iterator = items[Symbol.asyncIterator]();
  const first = await iterator.next();
  return {
    async *[Symbol.asyncIterator]() {
      try {
        for (let next = first; !next.done; next = await iterator.next()) yield next.value;
      } finally {
        await iterator.return?.();
      }
    },
  };
}

/** Where a streamed body goes: the response itself, or a gzip stream into it. */
export interface BodySink {
  /** Writes a chunk with backpressure; false once the client has gone. `written` runs once the chunk is consumed. */
  write(chunk: string | Buffer, written?: () => void): Promise<boolean>;
  /** Ends the body once all of it is out (or the client has gone). */
  end(): Promise<void>;
}

/**
 * Sends the headers and opens the body: gzip-compressed (Content-Encoding: gzip) when the
 * client's Accept-Encoding takes gzip and the body is worth compressing, as is otherwise. A client that leaves stops both.
 */
export function openBody(req: http.IncomingMessage, res: http.ServerResponse, headers: http.OutgoingHttpHeaders, options = { compressible: true }): BodySink {
  const gzip = options.compressible && acceptsGzip(req.headers["accept-encoding"]);
  res.writeHead(200, { ...headers, ...(options.compressible ? { Vary: "Accept-Encoding" } : {}), ...(gzip ? { "Content-Encoding": "gzip" } : {}) });
  if (!gzip) return { write: (chunk, written) => writeChunk(res, chunk, written), end: async () => void res.end() };
  // Level 1: most of gzip's saving on these repetitive lines, at a fraction of the default's CPU.
  const zip = zlib.createGzip({ level: 1 });
  zip.pipe(res);
  res.once("close", () => zip.destroy());
  return {
    async write(chunk, written) {
      if (res.destroyed || zip.destroyed) return false;
      if (!zip.write(chunk, written && ((error) => !error && written()))) await drained(zip);
      return !res.destroyed && !zip.destroyed;
    },
    async end() {
      if (res.destroyed || zip.destroyed) return;
      await new Promise<void>((resolve) => {
        res.once("finish", resolve);
        res.once("close", resolve);
        zip.end();
      });
    },
  };
}

/** Whether an Accept-Encoding header takes gzip (a q of 0 refuses it). */
export function acceptsGzip(header: string | undefined): boolean {
  for (const part of (header ?? "").split(",")) {
    const [coding, ...params] = part.trim().toLowerCase().split(";");
    if (coding !== "gzip" && coding !== "x-gzip" && coding !== "*") continue;
    const q = params.map((p) => /^\s*q=([\d.]+)\s*$/.exec(p)?.[1]).find((v) => v !== undefined);
    return q === undefined || Number(q) > 0;
  }
  return false;
}
