// Queries and mutations run as JavaScript compiled once per document (graphql-jit, through
// envelop's plugin) instead of through graphql-js's interpreter, which looks every field of every
// row up again: the bench's dashboard operation cost 7.7 ms of Node CPU instead of 10.1 (A/B,
// interleaved, on the benchmark machine). Subscriptions, and operations whose variables do not
// coerce, run on graphql-js as before, so that it stays the one author of those answers
// (BAD_USER_INPUT, 400). So do documents with a field answered as "__proto__": the compiled code
// assigns response keys to plain objects, where that one would set the prototype instead.
import { useGraphQlJit } from "@envelop/graphql-jit";
import { BREAK, getOperationAST, Kind, visit, type DocumentNode, type ExecutionArgs } from "graphql";
import { getVariableValues } from "graphql/execution/values.js";
import type { Plugin } from "graphql-yoga";
import type { Logger } from "../config/logger.js";

const answersProto = new WeakMap<DocumentNode, boolean>();

function hasProtoKey(document: DocumentNode): boolean {
  let found = answersProto.get(document);
  if (found === undefined) {
    found = false;
    visit(document, {
      [Kind.FIELD]: (field) => {
        if ((field.alias ?? field.name).value !== "__proto__") return undefined;
        found = true;
        return BREAK;
      },
    });
    answersProto.set(document, found);
  }
  return found;
}

function compiles(args: ExecutionArgs): boolean {
  const operation = getOperationAST(args.document, args.operationName);
  if (!operation || operation.operation === "subscription" || hasProtoKey(args.document)) return false;
  const variables = getVariableValues(args.schema, operation.variableDefinitions ?? [], args.variableValues ?? {}, { maxErrors: 1 });
  return !variables.errors;
}

/** A document that graphql-jit cannot compile is answered with its errors, and logged: it passed validation. */
export const compiledExecutionPlugin = (logger: Logger): Plugin =>
  useGraphQlJit({}, {
    enableIf: compiles,
    onError: (result) => logger.error({ errors: result.errors?.map((error) => error.message) }, "graphql-jit could not compile a valid operation"),
  }) as Plugin;
