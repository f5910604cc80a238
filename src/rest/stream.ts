// Writing a streamed response with backpressure.
import type http from "node:http";

/**
 * Writes a chunk; when the socket's buffer is full, waits until it drains. False once the client
 * has gone. `written` runs once the chunk has been handed to the operating system.
 */
export async function writeChunk(res: http.ServerResponse, chunk: string | Buffer, written?: () => void): Promise<boolean> {
  if (res.destroyed) return false;
  if (!res.write(chunk, written && ((error) => !error && written()))) {
    // Listeners removed by whichever event comes first, so a long export does not pile them up.
    await new Promise<void>((resolve) => {
      const done = () => {
        res.off("drain", done);
        res.off("close", done);
        resolve();
      };
      res.on("drain", done);
      res.on("close", done);
    });
  }
  return !res.destroyed;
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
