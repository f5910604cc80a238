// Batch ingestion: POST /api/v1/events takes up to 1,000 usage records as a JSON array or as
// NDJSON, through the same function as the recordUsage mutation.
import type http from "node:http";
import { encodeGlobalID } from "@pothos/plugin-relay";
import { recordUsage } from "../domain/usage.js";
import { RestError, sendRestJson, type Route } from "./router.js";

const MAX_BODY_BYTES = 5 * 1024 * 1024;

/** Past this much, an oversized upload is cut off instead of read to its end. */
const MAX_DRAIN_BYTES = 10 * MAX_BODY_BYTES;

async function readBody(req: http.IncomingMessage): Promise<string> {
  const tooLarge = () => new RestError(413, "PAYLOAD_TOO_LARGE", `The body may be at most ${MAX_BODY_BYTES} bytes`);
  if (Number(req.headers["content-length"] ?? 0) > MAX_BODY_BYTES) {
    req.resume(); // discard the upload so that the client can read the answer
    throw tooLarge();
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    // Keep reading (and dropping) an oversized chunked upload, so that the 413 reaches the client.
    if (size > MAX_DRAIN_BYTES) req.destroy();
    else if (size <= MAX_BODY_BYTES) chunks.push(chunk as Buffer);
  }
  if (size > MAX_BODY_BYTES) throw tooLarge();
  return Buffer.concat(chunks).toString("utf8");
}

/** The records of a JSON array or NDJSON body; a body that is neither is rejected whole. */
export function parseEventsBody(body: string, contentType: string | undefined): unknown[] {
  const ndjson = /application\/(x-)?(ndjson|jsonl)|application\/jsonlines/i.test(contentType ?? "");
  if (ndjson) {
    return body.split(/\r?\n/).flatMap((line, i) => {
      if (line.trim() === "") return [];
      try {
        return [JSON.parse(line)];
      } catch {
        throw new RestError(400, "INVALID_BODY", `Line ${i + 1} is not valid JSON`, "body");
      }
    });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new RestError(400, "INVALID_BODY", "The body is not valid JSON; send an array of usage records or NDJSON", "body");
  }
  if (!Array.isArray(parsed)) throw new RestError(400, "INVALID_BODY", "The body must be a JSON array of usage records", "body");
  return parsed;
}

export const eventRoutes: Route[] = [
  {
    method: "POST",
    path: "/api/v1/events",
    scope: "write:usage",
    async handle(ctx) {
      const workspace = await ctx.workspace("write:usage");
      const records = parseEventsBody(await readBody(ctx.req), ctx.req.headers["content-type"]);
      const result = await recordUsage(ctx.db.prisma, ctx.actor, workspace.id, records);
      sendRestJson(ctx.res, 200, {
        workspaceId: workspace.id,
        accepted: result.accepted,
        duplicates: result.duplicates,
        rejected: result.rejected,
        creditsDebited: result.creditsDebited,
        results: result.results.map((r) => ({
          index: r.index,
          idempotencyKey: r.idempotencyKey,
          status: r.status.toLowerCase(),
          ...(r.status === "ACCEPTED" ? { id: r.record.id.toString(), graphqlId: encodeGlobalID("UsageRecord", r.record.id), credits: r.record.credits } : {}),
          ...(r.status === "DUPLICATE" ? { id: r.existingId.toString() } : {}),
          ...(r.status === "REJECTED" ? { error: { code: r.code, message: r.message, param: r.path.join(".") || undefined } } : {}),
        })),
      });
    },
  },
];
