// Persisted operations: the dashboard's documents, known by hash from the manifest codegen writes
// (web/src/gql/persisted-documents.json), so that its requests carry a hash instead of a query.
// With GRAPHQL_PERSISTED_ONLY, dashboard sessions may send nothing else; API keys (automation)
// still send any operation.
import fs from "node:fs";
import { usePersistedOperations, defaultExtractPersistedOperationId } from "@graphql-yoga/plugin-persisted-operations";
import type { Plugin } from "graphql-yoga";
import { looksLikeApiKey } from "../auth/api-key-secret.js";
import { bearerToken } from "../auth/authenticate.js";

const MANIFEST = new URL("../../web/src/gql/persisted-documents.json", import.meta.url);

/** The manifest's documents by hash; none when the dashboard's documents were not generated. */
function loadManifest(): Map<string, string> {
  if (!fs.existsSync(MANIFEST)) return new Map();
  return new Map(Object.entries(JSON.parse(fs.readFileSync(MANIFEST, "utf8")) as Record<string, string>));
}

/** Whether a request may send a document of its own: any, unless persisted-only applies to its credential (a session's). */
export function mayAskAnyOperation(persistedOnly: boolean, authorization: string | null | undefined): boolean {
  if (!persistedOnly) return true;
  // Read as authentication reads it. Without a credential (or with a malformed one) the request is
  // refused for that (401), not for its document.
  const credential = bearerToken(authorization);
  return typeof credential !== "string" || looksLikeApiKey(credential);
}

export function persistedOperationsPlugin(options: { persistedOnly: boolean }): Plugin {
  const documents = loadManifest();
  return usePersistedOperations({
    getPersistedOperation: (id) => documents.get(id) ?? null,
    // GraphQL over HTTP's persisted documents name it `documentId`; Apollo's extension works too.
    extractPersistedOperationId: (params, request, context) => {
      const documentId = (params as { documentId?: unknown }).documentId;
      return typeof documentId === "string" ? documentId : defaultExtractPersistedOperationId(params, request, context);
    },
    allowArbitraryOperations: (request) => mayAskAnyOperation(options.persistedOnly, request.headers.get("authorization")),
    customErrors: {
      notFound: { message: "No persisted operation has this documentId", extensions: { code: "PERSISTED_QUERY_NOT_FOUND", http: { status: 400 } } },
      keyNotFound: { message: "Send a query, or the documentId of a persisted operation", extensions: { code: "BAD_USER_INPUT", http: { status: 400 } } },
      persistedQueryOnly: {
        message: "This gateway takes only persisted operations from dashboard sessions (GRAPHQL_PERSISTED_ONLY); API keys may send any",
        extensions: { code: "PERSISTED_QUERY_ONLY", http: { status: 403 } },
      },
    },
  });
}
