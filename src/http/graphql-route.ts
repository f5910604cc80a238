// /graphql over Node's HTTP: GET and POST with a JSON body of at most 1 MB, answered by yoga
// (subscriptions as Server-Sent Events), or for a plain POST by the same envelop without yoga's
// fetch emulation (direct-execution.ts). What the HTTP layer refuses (method, media type, size) is
// answered in GraphQL's error shape too.
import { once } from "node:events";
import type http from "node:http";
import type { YogaServerInstance } from "graphql-yoga";
import type { GraphQLContext } from "../graphql/context.js";
import type { DirectExecution } from "../graphql/direct-execution.js";
import { newOperationRecord } from "../graphql/operation-metrics.js";
import type { ServerContext } from "../graphql/yoga.js";
import type { RateLimitState } from "../domain/context.js";
import { BodyTooLarge, mediaType, readBody } from "./body.js";
import { rateLimitHeaders } from "./rate-limit.js";
import { sendJson } from "./server.js";

const MAX_BODY_BYTES = 1024 * 1024;

export function sendGraphQLError(res: http.ServerResponse, status: number, code: string, message: string, headers: http.OutgoingHttpHeaders = {}) {
  sendJson(res, status, { errors: [{ message, extensions: { code } }] }, headers);
}

export function createGraphQLRoute(yoga: YogaServerInstance<ServerContext, GraphQLContext>, direct: DirectExecution) {
  /** `streaming` is told when the answer turns out to be a stream (a subscription's events), before it starts. */
  return async (req: http.IncomingMessage, res: http.ServerResponse, url: URL, facts: ServerContext["facts"], streaming = () => {}): Promise<void> => {
    if (req.method !== "GET" && req.method !== "POST") {
      req.resume();
      return sendGraphQLError(res, 405, "METHOD_NOT_ALLOWED", `${req.method} is not allowed on /graphql; use GET or POST`, { Allow: "GET, POST" });
    }
    let body: Buffer | undefined;
    if (req.method === "POST") {
      const type = mediaType(req.headers["content-type"]);
      if (type !== "application/json" && !/^application\/[\w.-]+\+json$/.test(type)) {
        req.resume();
        return sendGraphQLError(res, 415, "UNSUPPORTED_MEDIA_TYPE", "POST /graphql takes Content-Type: application/json");
      }
      try {
        body = await readBody(req, MAX_BODY_BYTES);
      } catch (error) {
        if (error instanceof BodyTooLarge) return sendGraphQLError(res, 413, "PAYLOAD_TOO_LARGE", error.message);
        throw error;
      }
    }
    // A FOCUS field spends the caller's budget: the response says where it stands.
    const budget: Record<string, string> = {};
    const onRateLimit = (state: RateLimitState) => Object.assign(budget, rateLimitHeaders(state));
    const serverContext: ServerContext = {
      facts: { requestId: facts.requestId, arrivedAt: facts.arrivedAt, anonymous: facts.anonymous, onRateLimit } satisfies Record<keyof ServerContext["facts"], unknown>,
      operation: newOperationRecord(),
    };
    const answer = body && (await direct(req, body, serverContext));
    if (answer) return send(res, answer.status, { ...answer.headers, ...budget }, Buffer.from(answer.body));
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) if (typeof value === "string") headers.set(name, value);
    // A string body is parsed by JSON.parse alone; bytes would go through a stream first.
    const response = await yoga.fetch(url, { method: req.method, headers, body: body?.toString("utf8") }, serverContext);
    if (response.body && response.headers.get("content-type")?.startsWith("text/event-stream")) {
      streaming();
      return streamEvents(res, response);
    }
    // Every other answer is one document (JSON, or GraphiQL's page): sent in one write with its
    // length, which costs a third of the system calls of a chunked stream.
    send(res, response.status, { ...Object.fromEntries(response.headers), ...budget }, Buffer.from(await response.arrayBuffer()));
  };
}

function send(res: http.ServerResponse, status: number, headers: http.OutgoingHttpHeaders, payload: Buffer): void {
  res.writeHead(status, { ...headers, "content-length": payload.length });
  res.end(payload);
}

/** A subscription's Server-Sent Events, as yoga writes them, until it ends or the client leaves. */
async function streamEvents(res: http.ServerResponse, response: Response): Promise<void> {
  res.writeHead(response.status, { ...Object.fromEntries(response.headers), "X-Accel-Buffering": "no" });
  res.flushHeaders();
  const reader = response.body!.getReader();
  // Leaving cancels the stream, which returns the subscription's iterator: it stops listening.
  const left = new Promise<void>((resolve) => res.once("close", resolve));
  void left.then(() => reader.cancel().catch(() => undefined));
  for (;;) {
    const { done, value } = await reader.read().catch(() => ({ done: true, value: undefined }));
    if (done || res.destroyed) break;
    // A client that does not read holds its stream, not the process's memory.
    if (!res.write(value)) await Promise.race([once(res, "drain"), left]);
  }
  res.end();
}
