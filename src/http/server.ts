// The Node HTTP server: JSON answers for errors the HTTP parser itself raises (431, 400), and
// listening with one-line reasons.
import http from "node:http";
import type { Socket } from "node:net";
import { StartupError } from "../config/startup-error.js";

/** Headers over 16 KB are refused with 431. */
const MAX_HEADER_BYTES = 16 * 1024;

/**
 * Idle keep-alive connections are kept longer than clients and load balancers keep theirs (60 s
 * is common), so that the client closes first: a server closing as the client reuses the
 * connection resets the client's next request (Node's default of 5 s lost test requests under load).
 */
const KEEP_ALIVE_MS = 65_000;

export function createHttpServer(listener: http.RequestListener): http.Server {
  const server = http.createServer({ maxHeaderSize: MAX_HEADER_BYTES, keepAliveTimeout: KEEP_ALIVE_MS, headersTimeout: KEEP_ALIVE_MS + 1_000 }, listener);
  // Node answers parser errors with a bare status line; clients get the gateway's JSON instead.
  server.on("clientError", (error: NodeJS.ErrnoException, socket: Socket) => {
    if (!socket.writable) return socket.destroy();
    const tooLarge = error.code === "HPE_HEADER_OVERFLOW";
    const body = JSON.stringify({
      error: tooLarge
        ? { code: "HEADERS_TOO_LARGE", message: `Request headers may be at most ${MAX_HEADER_BYTES} bytes` }
        : { code: "BAD_REQUEST", message: "The request is not valid HTTP" },
    });
    const status = tooLarge ? "431 Request Header Fields Too Large" : "400 Bad Request";
    socket.end(`HTTP/1.1 ${status}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  });
  return server;
}

/** Answers the server cut off itself (a fault after the headers): metrics count them as 500, not 499. */
const cutByServer = new WeakSet<http.ServerResponse>();

/** Cuts a response whose headers are sent: the client sees an incomplete answer, never a whole-looking one. */
export function cutAnswer(res: http.ServerResponse): void {
  cutByServer.add(res);
  res.destroy();
}

/** The status to count for a finished or abandoned response (499: the client closed it first). */
export function finalStatus(res: http.ServerResponse): number {
  if (res.writableFinished) return res.statusCode;
  return cutByServer.has(res) ? 500 : 499;
}

export function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: http.OutgoingHttpHeaders = {}): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, { "Content-Type": "application/json; charset=utf-8", "Content-Length": Buffer.byteLength(payload), ...headers });
  res.end(payload);
}

/** Listens, or rejects with a one-line reason (port in use, permission). */
export function listen(server: http.Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      const reason =
        error.code === "EADDRINUSE"
          ? `port ${port} on ${host} is already in use (PORT)`
          : error.code === "EACCES"
            ? `no permission to listen on port ${port} (PORT)`
            : `cannot listen on ${host}:${port}: ${error.message}`;
      reject(new StartupError(reason));
    };
    server.once("error", onError);
    server.listen(port, host, () => {
      server.off("error", onError);
      const address = server.address();
      resolve(typeof address === "object" && address ? address.port : port);
    });
  });
}
