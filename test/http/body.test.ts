// Request bodies read whole up to a limit: a declared length over it is refused before reading, a
// chunked upload over it is read to its end (so that the client reads the 413) unless it runs past
// ten times the limit, and a body whose stream closes before its end is an error, never a body.
// A large JSON array is parsed in parts cut between its objects, or not at all where a cut fails.
import type http from "node:http";
import { Readable } from "node:stream";
import { describe, expect, test } from "vitest";
import { BodyTooLarge, parseJsonArrayInParts, readBody } from "../../src/http/body.js";

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

describe("parseJsonArrayInParts", () => {
  const record = (i: number) => ({ idempotencyKey: `clé-${i}`, sku: "llm-gpt-4o-input", units: String(i), note: `"€" 😀 \\ ${"x".repeat(i % 40)}`, tokens: i % 3 ? null : i });
  const json = (value: unknown) => Buffer.from(JSON.stringify(value));

  test("parses a large array of objects in parts, as JSON.parse does whole", () => {
    const records = Array.from({ length: 3_000 }, (_, i) => record(i));
    const body = json(records);
    expect(body.length).toBeGreaterThan(2 * 128 * 1024); // three parts at least
    expect(parseJsonArrayInParts(body)).toEqual(records);
  });

  test("gives null where a cut falls inside a string or a nested value, which JSON.parse then reads whole", () => {
    const inString = [{ text: `${"a".repeat(130_000)}},{"b":1}` }, ...Array.from({ length: 100 }, (_, i) => record(i))];
    const nested = [{ list: Array.from({ length: 15_000 }, (_, i) => ({ i })) }, ...Array.from({ length: 100 }, (_, i) => record(i))];
    for (const value of [inString, nested]) {
      expect(json(value).length).toBeGreaterThan(128 * 1024);
      expect(parseJsonArrayInParts(json(value))).toBeNull();
      expect(JSON.parse(json(value).toString())).toEqual(value);
    }
  });

  test("gives null for small bodies, bodies that are not an array, and invalid JSON", () => {
    const records = Array.from({ length: 3_000 }, (_, i) => record(i));
    expect(parseJsonArrayInParts(json(records.slice(0, 10)))).toBeNull();
    expect(parseJsonArrayInParts(json({ records }))).toBeNull();
    expect(parseJsonArrayInParts(Buffer.from(` ${JSON.stringify(records)}`))).toBeNull(); // not a bare array: read whole
    const broken = json(records);
    broken[broken.length - 2] = 0x2c; // "…},]": the last part does not parse
    expect(parseJsonArrayInParts(broken)).toBeNull();
  });
});
