// Typed documents for the tests: `graphql(...)` in test files returns TypedDocumentNodes checked
// against schema.graphql.
import type { CodegenConfig } from "@graphql-codegen/cli";

const config: CodegenConfig = {
  schema: "schema.graphql",
  documents: ["test/**/*.ts", "!test/gql/**"],
  ignoreNoDocuments: true,
  generates: {
    "test/gql/": {
      preset: "client",
      config: { importExtension: ".js", scalars: { DateTime: "string", Decimal: "string" }, enumsAsTypes: true, useTypeImports: true },
      presetConfig: { fragmentMasking: false },
    },
  },
};

export default config;
