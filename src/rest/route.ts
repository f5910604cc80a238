// A REST compatibility route: its zod schemas (which validate requests and generate the OpenAPI
// document), what it answers, and a handler of a few lines over one domain call.
import type http from "node:http";
import type { z } from "zod";
import type { ZodOpenApiRequestBodyObject, ZodOpenApiResponsesObject } from "zod-openapi";
import type { Scope } from "../domain/access.js";
import type { RequestContext } from "../domain/context.js";

export interface RestCall<Q, P> {
  ctx: RequestContext;
  query: Q;
  params: P;
  req: http.IncomingMessage;
  res: http.ServerResponse;
}

export interface RouteSpec<Q extends z.ZodObject, P extends z.ZodObject> {
  method: "GET" | "POST";
  /** With path parameters as `:name`; a last one as `:name*` takes the rest of the path, slashes included. */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  /** The source API it reproduces. */
  tag: string;
  /** The scope it needs, for the document: the domain enforces it. Null: no credentials (a signed URL authorizes itself). */
  scope: Scope | null;
  /** Counted against the caller's FOCUS budget (documents 429 and its headers). */
  rateLimited?: boolean;
  query: Q;
  params?: P;
  requestBody?: ZodOpenApiRequestBodyObject;
  /** What the route answers on success, and errors particular to it. */
  responses: ZodOpenApiResponsesObject;
  handle(call: RestCall<z.output<Q>, z.output<P>>): Promise<void>;
}

export type Route = RouteSpec<z.ZodObject, z.ZodObject>;

/** Keeps a route's handler typed by its own schemas, and lists it with the others. */
export function defineRoute<Q extends z.ZodObject, P extends z.ZodObject = z.ZodObject<Record<string, never>>>(spec: RouteSpec<Q, P>): Route {
  return spec as unknown as Route;
}

/** A REST error in the gateway's shape: { error: { code, message, param } }. */
export class RestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly param?: string,
    readonly headers: http.OutgoingHttpHeaders = {},
  ) {
    super(message);
  }
}
