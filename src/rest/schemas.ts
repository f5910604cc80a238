// Schemas the REST routes share: the workspace parameter, decimal numbers, the error envelope and
// the headers and errors every route may answer with.
import { z } from "zod";
import type { ZodOpenApiResponseObject, ZodOpenApiResponsesObject } from "zod-openapi";
import { uuid } from "../domain/rules/ids.js";

/**
 * A query parameter's documentation: its description and, when the domain fills one in, its
 * default (an override, since zod-openapi drops a `default` given as metadata of an optional).
 */
export function param<S extends z.ZodType>(schema: S, description: string, documented: { default?: unknown; enum?: string[] } = {}): S {
  return schema.meta({
    description,
    override: ({ jsonSchema }) => {
      if (documented.default !== undefined) jsonSchema.default = documented.default;
      if (documented.enum) jsonSchema.enum = documented.enum;
    },
  });
}

export const workspaceIdParam = uuid("a workspace").optional().meta({
  description: "The workspace, for dashboard sessions and organization keys; workspace keys omit it (the key names its workspace).",
});

/** Credits and money: JSON numbers written from their exact decimal text, never through a float. */
export const decimalNumber = (description?: string) => z.number().meta({ description: description ?? "An exact decimal." });

export const isoInstant = (description?: string) => z.string().meta({ format: "date-time", description: description ?? "ISO 8601, UTC." });

export const errorEnvelope = z
  .object({
    error: z.object({
      code: z.string().meta({ description: "Stable: clients branch on it." }),
      message: z.string().meta({ description: "For people; may change." }),
      param: z.string().optional().meta({ description: "The parameter at fault, when one is." }),
      requestId: z.string().optional().meta({ description: "For unexpected errors: quote it when you report the problem." }),
    }),
  })
  .meta({ id: "Error", description: "Every REST error." });

const requestId = z.string().meta({ description: "The request's id (yours, if you sent a well-formed X-Request-Id); it is in the logs." });

/** A JSON answer with the headers every answer has, plus `headers`. */
export function jsonResponse(description: string, schema: z.ZodType, headers: Record<string, z.ZodType> = {}): ZodOpenApiResponseObject {
  return { description, headers: z.object({ "X-Request-Id": requestId, ...headers }), content: { "application/json": { schema } } };
}

export const errorResponse = (description: string, headers: Record<string, z.ZodType> = {}) => jsonResponse(description, errorEnvelope, headers);

const retryAfter = z.string().meta({ description: "Seconds to wait before retrying." });

/** What any route may answer besides its own results. */
export const STANDARD_ERRORS: ZodOpenApiResponsesObject = {
  "400": errorResponse("A parameter is invalid (`param` names it): INVALID_PARAMETER, MISSING_PARAMETER, INVALID_RANGE, RANGE_TOO_LARGE, INVALID_CURSOR."),
  "401": errorResponse("Missing, malformed, unknown, expired or revoked credentials (UNAUTHENTICATED).", {
    "WWW-Authenticate": z.string().meta({ description: "An RFC 6750 Bearer challenge." }),
  }),
  "403": errorResponse("The credential lacks the scope this route needs in the workspace (FORBIDDEN)."),
  "404": errorResponse("Unknown workspace, or one the caller may not see (NOT_FOUND)."),
  "405": errorResponse("The path exists with other methods (METHOD_NOT_ALLOWED).", { Allow: z.string().meta({ description: "The methods the path takes." }) }),
  "500": errorResponse("An unexpected error (INTERNAL_SERVER_ERROR), with the request id to quote."),
  "503": errorResponse(
    "Overload or an outage, never a lost write: the database is unreachable or restarting (DATABASE_UNAVAILABLE), did not answer in time (TIMEOUT), or the gateway (more requests waiting than REQUEST_QUEUE_MAX_DEPTH, or one waiting past REQUEST_MAX_WAIT_MS) or this workspace's writes are busy (OVERLOADED). Retry after Retry-After; a refused write wrote nothing.",
    { "Retry-After": retryAfter },
  ),
};

/** The budget of a rate-limited route, on its every answer (GitHub's and the IETF RateLimit draft's names). */
/** The headers of a streamed export that the client may take gzipped (src/rest/stream.ts). */
export const COMPRESSION_HEADERS = {
  "Content-Encoding": z.literal("gzip").optional().meta({ description: "gzip when the request's Accept-Encoding takes it (q > 0); absent otherwise." }),
  Vary: z.literal("Accept-Encoding"),
};

export const RATE_LIMIT_HEADERS = {
  "RateLimit-Limit": z.string().meta({ description: "Requests allowed per window (FOCUS_RATE_LIMIT_PER_MINUTE a minute)." }),
  "RateLimit-Remaining": z.string().meta({ description: "Requests left in the current window." }),
  "RateLimit-Reset": z.string().meta({ description: "Seconds until the window's budget is whole again." }),
};

/** What a rate-limited route adds: 429 past the budget, 503 also when the budget's store is down. */
export const RATE_LIMIT_ERRORS: ZodOpenApiResponsesObject = {
  "429": errorResponse("More than FOCUS_RATE_LIMIT_PER_MINUTE FOCUS requests a minute (10 by default), REST and GraphQL together (RATE_LIMITED).", { "Retry-After": retryAfter, ...RATE_LIMIT_HEADERS }),
  "503": errorResponse(
    "The rate limiter's store (Redis) is unreachable (RATE_LIMITER_UNAVAILABLE), or the gateway or the database is unavailable, slow or busy (DATABASE_UNAVAILABLE, TIMEOUT, OVERLOADED); retry after Retry-After.",
    { "Retry-After": retryAfter },
  ),
};
