// A plain GraphQL POST (a JSON query, with its variables and operation name) runs through yoga's
// own envelop (the same plugins, parser and validation caches, error masking and result
// processor) but without yoga's fetch emulation: its Request, Response, streams and abort
// signals cost about 200 µs a request on this machine, five times what executing
// `{ __typename }` costs. Anything else, and a request that fails to parse or validate, is left
// to yoga, so that yoga stays the one author of those answers; a request whose credentials fail
// is answered here with yoga's own error (contextError), not authenticated twice.
import type http from "node:http";
import { getOperationAST, type DocumentNode, type ExecutionResult } from "graphql";
import { processRegularResult, type YogaServerInstance } from "graphql-yoga";
import type { Logger } from "../config/logger.js";
import type { Metrics } from "../http/metrics.js";
import type { GraphQLContext } from "./context.js";
import { maskError } from "./error-masking.js";
import { resultForHttp } from "./http-status.js";
import { observeOperation } from "./operation-metrics.js";
import { mayAskAnyOperation } from "./persisted-operations.js";
import { contextError, graphQLContext, type ContextFor, type RequestHeaders, type ServerContext } from "./yoga.js";

export interface DirectAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Answers a request, or null when it is yoga's to answer. */
export type DirectExecution = (req: http.IncomingMessage, body: Buffer, serverContext: ServerContext) => Promise<DirectAnswer | null>;

interface Params {
  query: string;
  variables?: Record<string, unknown> | null;
  operationName?: string | null;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);

/** The body's parameters when they are only a query, its variables and its operation name, each of its type. */
function plainParams(body: Buffer): Params | null {
  let params: unknown;
  try {
    params = JSON.parse(body.toString("utf8"));
  } catch {
    return null;
  }
  if (!isObject(params) || typeof params.query !== "string") return null;
  for (const [name, value] of Object.entries(params)) {
    const valid = name === "query" || (name === "variables" && (value === null || isObject(value))) || (name === "operationName" && (value === null || typeof value === "string"));
    if (!valid) return null;
  }
  return params as unknown as Params;
}

const JSON_TYPES = ["application/graphql-response+json", "application/json"] as const;
const matches = (offered: string, asked: string) => {
  const [type, subtype] = offered.split("/");
  const [askedType, askedSubtype] = asked.split("/");
  return (askedType === "*" || askedType === type) && (askedSubtype === "*" || askedSubtype === subtype);
};

/**
 * The JSON media type yoga answers an Accept header with: its first entry (in UTF-8) that
 * takes either, application/json where it takes both. Null where yoga would pick no JSON type.
 * This follows graphql-yoga 5's result processors (their order and getMediaTypesForRequestInOrder,
 * which it does not export); direct-execution.test.ts compares the two answer for answer.
 */
function acceptedJsonType(accept: string | undefined): string | null {
  for (const entry of (accept || "*/*").replace(/\s/g, "").toLowerCase().split(",")) {
    const [asked = "", ...params] = entry.split(";");
    if ((params.find((param) => param.includes("charset=")) ?? "charset=utf-8") !== "charset=utf-8") continue;
    const offered = JSON_TYPES.filter((type) => matches(type, asked));
    if (offered.length) return offered.at(-1)!;
  }
  return null;
}

/** Whether yoga reads the body as JSON: application/json or application/graphql+json, exactly (its isPOSTJsonRequest). */
function isJsonBody(contentType: string | undefined): boolean {
  const type = contentType?.split(",")[0] ?? "";
  return ["application/json", "application/graphql+json"].some((json) => type === json || type.startsWith(`${json};`));
}

/** The headers as the plugins and the context read them (`request.headers.get`). */
const requestOf = (req: http.IncomingMessage): RequestHeaders & { method: string } => ({
  method: "POST",
  headers: {
    get(name: string): string | null {
      const value = req.headers[name.toLowerCase()];
      return Array.isArray(value) ? value.join(", ") : (value ?? null);
    },
  },
});

/** What yoga's result processor needs of a fetch API: a Response that keeps its body and init. */
const RESULT_FETCH_API = {
  Response: class {
    constructor(
      readonly body: string,
      readonly init: { status: number; headers: Record<string, string> },
    ) {}
  },
};

export function createDirectExecution(
  yoga: YogaServerInstance<ServerContext, GraphQLContext>,
  options: { contextFor: ContextFor; logger: Logger; metrics: Metrics; persistedOnly: boolean },
): DirectExecution {
  // Documents this yoga has validated. Its rules are the same for every request (the schema's and
  // the limits' fixed ones), and its parser cache hands back the same document for the same text;
  // its own validation cache first joins the names of some thirty rules, 2–3% of `{ __typename }`.
  const validDocuments = new WeakSet<DocumentNode>();
  return async (req, body, serverContext) => {
    // CORS headers (a browser's Origin) and persisted-only refusals are yoga's to write.
    if (!isJsonBody(req.headers["content-type"]) || req.headers.origin !== undefined || !mayAskAnyOperation(options.persistedOnly, req.headers.authorization)) return null;
    const mediaType = acceptedJsonType(req.headers.accept);
    const params = mediaType ? plainParams(body) : null;
    if (!mediaType || !params) return null;
    const request = requestOf(req);
    // What parsing and validation see, as under yoga; the operation's context then carries the same properties.
    const context = { facts: serverContext.facts, operation: serverContext.operation, request, params };
    const enveloped = yoga.getEnveloped(context as never);
    let document: DocumentNode;
    try {
      document = enveloped.parse(params.query);
      // The limits' validation rules throw their refusals.
      if (!validDocuments.has(document)) {
        if (enveloped.validate(enveloped.schema, document).length) return null;
        validDocuments.add(document);
      }
    } catch {
      return null;
    }
    const operation = getOperationAST(document, params.operationName);
    if (!operation || operation.operation === "subscription") return null;

    const execute = async (): Promise<ExecutionResult> => {
      let contextValue: GraphQLContext & typeof context;
      try {
        // Built here rather than by envelop's contextFactory, whose only hook is yoga's call of this
        // same function, and whose orchestration cost about 25 µs of the 200 a request costs.
        // The few properties of the server's context go into the request's, not the other way
        // round: copying the request context's dozen cost about 8 µs a request.
        contextValue = Object.assign(await graphQLContext(options.contextFor, serverContext.facts, request), context);
      } catch (error) {
        return { errors: [contextError(error, serverContext.facts, options.logger)] };
      }
      try {
        return (await enveloped.execute({
          schema: enveloped.schema, document, contextValue, variableValues: params.variables, operationName: params.operationName,
        })) as ExecutionResult;
      } catch (error) {
        return { errors: [maskError(error, "Unexpected error.", contextValue)] }; // as yoga answers an execution that throws
      }
    };
    const result = resultForHttp(await execute(), operation.operation === "query");
    observeOperation(options.metrics, serverContext.operation, result); // named by the plugin's onExecute, as under yoga
    const response = processRegularResult(result, RESULT_FETCH_API as never, mediaType) as unknown as InstanceType<typeof RESULT_FETCH_API.Response>;
    return { status: response.init.status, headers: response.init.headers, body: response.body };
  };
}
