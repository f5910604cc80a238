// Request bodies read whole up to a limit: a declared length over it is refused before reading, a
// chunked upload over it is read to its end (so that the client reads the 413) unless it runs past
// ten times the limit, and a body whose stream closes before its end is an error, never a body.
import type http from "node:http";
import { Readable } from "node:stream";
import { describe, expect, test } from "vitest";
import { BodyTooLarge, readBody } from "../../src/http/body.js";

/** A request stand-in: the chunks as a stream, with these headers. */
function request(chunks: Buffer[], headers: http.IncomingHttpHeaders = {}) {
  return Object.assign(Readable.from(chunks, { objectMode: false }), { headers }) as unknown as http.IncomingMessage;
}
const bytes = (n: number) => Buffer.alloc(n, "a");

describe("readBody", () => {
  test("joins the chunks of a body within the limit", async () => {
    expect((await readBody(request([Buffer.from("{\"a\":"), Buffer.from("1}")]), 100)).toString()).toBe('{"a":1}');
    expect((await readBody(request([]), 100)).length).toBe(0);
  });

  test("refuses a declared length over the limit without reading the body", async () => {
    const req = request([bytes(10)], { "content-length": "101" });
    await expect(readBody(req, 100)).rejects.toBeInstanceOf(BodyTooLarge);
  });

  test("reads a chunked upload over the limit to its end, then refuses it", async () => {
    const req = request([bytes(60), bytes(60), bytes(60)]);
    await expect(readBody(req, 100)).rejects.toBeInstanceOf(BodyTooLarge);
    expect(req.readableEnded).toBe(true);
  });

  test("stops reading an upload past ten times the limit", async () => {
    const req = request(Array.from({ length: 20 }, () => bytes(100)));
    await expect(readBody(req, 100)).rejects.toBeInstanceOf(BodyTooLarge);
    expect([req.destroyed, req.readableEnded]).toEqual([true, false]);
  });

  test("fails, without a body, when the stream closes before its end (the client left)", async () => {
    const req = new Readable({ read() {} }) as Readable & { headers: http.IncomingHttpHeaders };
    req.headers = {};
    const body = readBody(req as unknown as http.IncomingMessage, 100);
    req.push(bytes(10));
    setImmediate(() => req.destroy());
    await expect(body).rejects.toThrow(/closed before its body ended/);
  });
});
