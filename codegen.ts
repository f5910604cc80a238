// Typed documents checked against schema.graphql: `graphql(...)` in test files, and the dashboard's
// (web/src), whose documents are also persisted: web/src/gql/persisted-documents.json maps each
// hash to its document, for the gateway to serve them by hash.
import type { CodegenConfig } from "@graphql-codegen/cli";

const config: CodegenConfig = {
  schema: "schema.graphql",
  ignoreNoDocuments: true,
  generates: {
    "test/gql/": {
      documents: ["test/**/*.ts", "!test/gql/**"],
      preset: "client",
      config: { importExtension: ".js", scalars: { DateTime: "string", Decimal: "string" }, enumsAsTypes: true, useTypeImports: true },
      presetConfig: { fragmentMasking: false },
    },
    "web/src/gql/": {
      documents: ["web/src/**/*.tsx", "web/src/**/*.ts", "!web/src/gql/**"],
      preset: "client",
      config: { scalars: { DateTime: "string", Decimal: "string" }, enumsAsTypes: true, useTypeImports: true },
      presetConfig: { fragmentMasking: false, persistedDocuments: { hashAlgorithm: "sha256" } },
    },
  },
};

export default config;
