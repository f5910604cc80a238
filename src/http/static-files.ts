// Files the gateway serves as they are (GraphiQL's bundle, the dashboard's): gzipped once when
// loaded, sent whole with their length, gzipped when the client takes it.
import type http from "node:http";
import zlib from "node:zlib";

export interface StaticFile {
  plain: Buffer;
  gzip: Buffer;
  /** A media type, such as text/javascript. */
  type: string;
}

export function staticFile(content: string | Buffer, type: string): StaticFile {
  const plain = typeof content === "string" ? Buffer.from(content) : content;
  return { plain, gzip: zlib.gzipSync(plain), type };
}

export function sendStatic(req: http.IncomingMessage, res: http.ServerResponse, file: StaticFile, cacheControl: string): void {
  const gzip = /\bgzip\b/.test(String(req.headers["accept-encoding"] ?? ""));
  const body = gzip ? file.gzip : file.plain;
  res.writeHead(200, {
    "Content-Type": `${file.type}; charset=utf-8`,
    "Content-Length": body.length,
    "Cache-Control": cacheControl,
    Vary: "Accept-Encoding",
    ...(gzip ? { "Content-Encoding": "gzip" } : {}),
  });
  res.end(req.method === "HEAD" ? undefined : body);
}
