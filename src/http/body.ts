// Request bodies, read whole up to a limit. An oversized upload is drained (up to ten times the
// limit) before the 413 goes out, so that the client reads the answer instead of a reset.
import type http from "node:http";

export class BodyTooLarge extends Error {
  constructor(readonly limit: number) {
    super(`The body may be at most ${limit} bytes`);
  }
}

export async function readBody(req: http.IncomingMessage, limit: number): Promise<Buffer> {
  if (Number(req.headers["content-length"] ?? 0) > limit) {
    req.resume(); // discard the upload so that the client can read the answer
    throw new BodyTooLarge(limit);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    // Keep reading (and dropping) an oversized chunked upload, so that the 413 reaches the client.
    if (size > 10 * limit) req.destroy();
    else if (size <= limit) chunks.push(chunk as Buffer);
  }
  if (size > limit) throw new BodyTooLarge(limit);
  return Buffer.concat(chunks);
}

/** The media type of a Content-Type header, lower-cased, without parameters. */
export function mediaType(contentType: string | undefined): string {
  return (contentType ?? "").split(";")[0]!.trim().toLowerCase();
}
