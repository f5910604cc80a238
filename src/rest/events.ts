// Batch ingestion: POST /api/v1/events takes up to 1,000 usage records as a JSON array or as
// NDJSON, through the same domain function as the recordUsage mutation. Records stand on their
// own: a bad one is rejected with its reason, the good ones are stored.
import { z } from "zod";
import { ValidationError } from "../domain/errors.js";
import { encodeGlobalId } from "../domain/rules/global-ids.js";
import { MAX_USAGE_BATCH, recordUsage, usageRecordInput, type UsageOutcome } from "../domain/usage.js";
import { BodyTooLarge, mediaType, parseJsonArrayInParts, readBody } from "../http/body.js";
import { sendRestJson } from "./router.js";
import { defineRoute, RestError } from "./route.js";
import { decimalNumber, errorResponse, jsonResponse, workspaceIdParam } from "./schemas.js";

const MAX_BODY_BYTES = 5 * 1024 * 1024;
const JSON_TYPE = "application/json";
const NDJSON_TYPE = "application/x-ndjson";

/** The records of a JSON array or NDJSON body; a body that is neither is rejected whole. */
function parseEventsBody(body: Buffer, type: string): unknown[] {
  if (type === NDJSON_TYPE) {
    return body.toString("utf8").split(/\r?\n/).flatMap((line, i) => {
      if (line.trim() === "") return [];
      try {
        return [JSON.parse(line)];
      } catch {
        throw new RestError(400, "INVALID_BODY", `Line ${i + 1} is not valid JSON`, "body");
      }
    });
  }
  const inParts = parseJsonArrayInParts(body);
  if (inParts) return inParts;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString("utf8"));
  } catch {
    throw new RestError(400, "INVALID_BODY", "The body is not valid JSON; send an array of usage records or NDJSON", "body");
  }
  if (!Array.isArray(parsed)) throw new RestError(400, "INVALID_BODY", "The body must be a JSON array of usage records", "body");
  return parsed;
}

// One object literal per status rather than one with conditional spreads: V8 builds a spread by a
// slow path, and an answer has 1,000 of them.
function resultBody(r: UsageOutcome) {
  const status = r.status.toLowerCase();
  switch (r.status) {
    case "ACCEPTED":
      return { index: r.index, idempotencyKey: r.idempotencyKey, status, id: r.record.id.toString(), graphqlId: encodeGlobalId("UsageRecord", r.record.id), credits: r.record.credits };
    case "DUPLICATE":
      return { index: r.index, idempotencyKey: r.idempotencyKey, status, id: r.existingId.toString() };
    case "REJECTED":
      return { index: r.index, idempotencyKey: r.idempotencyKey, status, error: { code: r.code, message: r.message, param: r.path.join(".") || undefined } };
  }
}

// The domain's own schema of a record, documented as JSON carries it (occurredAt as text).
const usageRecordIn = usageRecordInput.meta({ id: "UsageRecordInput" });

const result = z.object({
  index: z.int().meta({ description: "Position in the batch." }),
  idempotencyKey: z.string().nullable(),
  status: z.enum(["accepted", "duplicate", "rejected"]),
  id: z.string().optional(),
  graphqlId: z.string().optional(),
  credits: decimalNumber("Credits debited.").optional(),
  error: z.object({ code: z.string(), message: z.string(), param: z.string().optional() }).optional()
    .meta({ description: "Why it was rejected: VALIDATION_ERROR, UNKNOWN_SKU or INSUFFICIENT_CREDITS." }),
});

export const eventRoutes = [
  defineRoute({
    method: "POST",
    path: "/api/v1/events",
    operationId: "ingestEvents",
    summary: "Record up to 1,000 usage records (JSON array or NDJSON)",
    description: "Each record is accepted (stored and debited), a duplicate of an earlier idempotency key, or rejected with its reason; one record's rejection does not affect the others.",
    tag: "Ingestion",
    scope: "write:usage",
    query: z.object({ workspaceId: workspaceIdParam }),
    requestBody: {
      required: true,
      content: {
        [JSON_TYPE]: { schema: z.array(usageRecordIn).min(1).max(MAX_USAGE_BATCH) },
        [NDJSON_TYPE]: { schema: z.string().meta({ description: "One usage record (as in the JSON array) per line." }) },
      },
    },
    responses: {
      "200": jsonResponse("One result per record, in order.", z.object({
        workspaceId: z.uuid(), accepted: z.int(), duplicates: z.int(), rejected: z.int(), creditsDebited: decimalNumber(), results: z.array(result),
      })),
      "413": errorResponse(`The body is over ${MAX_BODY_BYTES} bytes (PAYLOAD_TOO_LARGE).`),
      "415": errorResponse(`The body is neither ${JSON_TYPE} nor ${NDJSON_TYPE} (UNSUPPORTED_MEDIA_TYPE).`),
    },
    async handle({ ctx, query, req, res }) {
      const type = mediaType(req.headers["content-type"]);
      if (type !== JSON_TYPE && type !== NDJSON_TYPE) {
        throw new RestError(415, "UNSUPPORTED_MEDIA_TYPE", `Send the records as ${JSON_TYPE} (an array) or ${NDJSON_TYPE}`);
      }
      const body = await readBody(req, MAX_BODY_BYTES).catch((error) => {
        throw error instanceof BodyTooLarge ? new RestError(413, "PAYLOAD_TOO_LARGE", error.message) : error;
      });
      const records = parseEventsBody(body, type);
      const batch = await recordUsage(ctx, { id: query.workspaceId }, records).catch((error) => {
        // A batch refused whole is a problem of the body, as the client sent it.
        throw error instanceof ValidationError && error.param === "records" ? new RestError(400, "INVALID_BODY", error.message, "body") : error;
      });
      const { workspaceId, accepted, duplicates, rejected, creditsDebited } = batch;
      sendRestJson(res, 200, { workspaceId, accepted, duplicates, rejected, creditsDebited, results: batch.results.map(resultBody) });
    },
  }),
];
