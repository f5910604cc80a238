// The OpenAPI 3.1 document of the REST routes, generated from their own zod schemas (zod-openapi),
// so that what is documented is what is validated. Served at /openapi.json.
import type { z } from "zod";
import { createDocument, type ZodOpenApiPathsObject } from "zod-openapi";
import { REST_ROUTES } from "./routes.js";
import type { ZodOpenApiResponsesObject } from "zod-openapi";
import { RATE_LIMIT_ERRORS, RATE_LIMIT_HEADERS, STANDARD_ERRORS } from "./schemas.js";

/** A rate-limited route's successes carry its budget headers too. */
function withBudgetHeaders(responses: ZodOpenApiResponsesObject): ZodOpenApiResponsesObject {
  const status = Object.keys(responses).find((code) => code.startsWith("2"))!;
  const ok = responses[status as "200"] as { headers?: z.ZodObject } | undefined;
  if (!ok?.headers) return responses;
  return { ...responses, [status]: { ...ok, headers: ok.headers.extend(RATE_LIMIT_HEADERS) } } as ZodOpenApiResponsesObject;
}

function paths(): ZodOpenApiPathsObject {
  const out: ZodOpenApiPathsObject = {};
  for (const route of REST_ROUTES) {
    const path = route.path.replace(/:(\w+)\*?/g, "{$1}"); // a rest parameter (:path*) is one documented parameter
    out[path] = {
      ...out[path],
      [route.method.toLowerCase()]: {
        operationId: route.operationId,
        summary: route.summary,
        description: `${route.description ? `${route.description} ` : ""}${route.scope ? `Needs the ${route.scope} scope.` : "Takes no credentials: its signature authorizes it."}`,
        tags: [route.tag],
        // Bearer schemes have no OpenAPI scopes: the scope a route needs is named in its description and here.
        security: route.scope ? [{ bearer: [] }] : [],
        ...(route.scope ? { "x-required-scope": route.scope } : {}),
        requestParams: { query: route.query, ...(route.params ? { path: route.params } : {}) },
        ...(route.requestBody ? { requestBody: route.requestBody } : {}),
        responses: { ...STANDARD_ERRORS, ...(route.rateLimited ? RATE_LIMIT_ERRORS : {}), ...(route.rateLimited ? withBudgetHeaders(route.responses) : route.responses) },
      },
    };
  }
  return out;
}

export const OPENAPI_DOCUMENT = createDocument({
  openapi: "3.1.0",
  info: {
    title: "Billing gateway REST compatibility routes",
    version: "0.2.0",
    description:
      "Routes reproducing five source billing APIs over the gateway's credit ledger and usage store. Credits and money are exact " +
      "decimal JSON numbers. Authenticate with `Authorization: Bearer` and an API key (bgk_…) or a dashboard session token; " +
      "errors are `{ error: { code, message, param } }` with a stable code.",
    license: { name: "Apache-2.0", identifier: "Apache-2.0" },
    contact: { name: "Billing gateway maintainers" },
  },
  servers: [{ url: "http://127.0.0.1:4000", description: "A gateway started with npm start" }],
  tags: [...new Set(REST_ROUTES.map((route) => route.tag))].map((name) => ({ name, description: `Routes of the ${name} source document.` })),
  components: {
    securitySchemes: { bearer: { type: "http", scheme: "bearer", description: "A bgk_ API key or a dashboard session JWT." } },
  },
  paths: paths(),
});
