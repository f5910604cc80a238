// The demo price list: LLM models per 1K tokens, sandbox and computer vCPU-seconds, storage
// GB-hours, image generation. Credits per unit assume the default credit price of $0.01.
import type { SqlSession } from "../db/client.js";
import type { ResourceKind } from "../db/generated/client.js";
import { insertRows } from "../store/bulk-insert.js";
import { sessionSql } from "./session-sql.js";

export interface SkuSeed {
  id: string;
  name: string;
  meter: string;
  unit: string;
  listPriceUsd: string;
  creditsPerUnit: string;
  resourceKind: ResourceKind;
  model: string | null;
  serviceName: string;
  serviceCategory: string;
  serviceSubcategory: string;
}

const llm = (model: string, direction: "input" | "output", usdPer1k: string, credits: string): SkuSeed => ({
  id: `llm-${model}-${direction}`,
  name: `${model} ${direction} tokens`,
  meter: direction === "input" ? "Input Tokens" : "Output Tokens",
  unit: "1000 Tokens",
  listPriceUsd: usdPer1k,
  creditsPerUnit: credits,
  resourceKind: "INFERENCE",
  model,
  serviceName: "Inference API",
  serviceCategory: "AI and Machine Learning",
  serviceSubcategory: "Generative AI",
});

export const PRICE_LIST: SkuSeed[] = [
  llm("claude-sonnet-4", "input", "0.003", "0.3"),
  llm("claude-sonnet-4", "output", "0.015", "1.5"),
  llm("gpt-4o", "input", "0.0025", "0.25"),
  llm("gpt-4o", "output", "0.01", "1"),
  llm("gpt-4o-mini", "input", "0.00015", "0.015"),
  llm("gpt-4o-mini", "output", "0.0006", "0.06"),
  llm("llama-3.3-70b", "input", "0.0007", "0.07"),
  llm("llama-3.3-70b", "output", "0.0028", "0.28"),
  {
    id: "embed-text-3-small",
    name: "text-embedding-3-small tokens",
    meter: "Embedding Tokens",
    unit: "1000 Tokens",
    listPriceUsd: "0.00002",
    creditsPerUnit: "0.002",
    resourceKind: "INFERENCE",
    model: "text-embedding-3-small",
    serviceName: "Embeddings API",
    serviceCategory: "AI and Machine Learning",
    serviceSubcategory: "Natural Language Processing",
  },
  {
    id: "sandbox-vcpu-seconds",
    name: "Sandbox vCPU time",
    meter: "vCPU Time",
    unit: "vCPU-Seconds",
    listPriceUsd: "0.000014",
    creditsPerUnit: "0.0014",
    resourceKind: "SANDBOX",
    model: null,
    serviceName: "Sandboxes",
    serviceCategory: "Compute",
    serviceSubcategory: "Containers",
  },
  {
    id: "sandbox-gpu-seconds",
    name: "Sandbox GPU time",
    meter: "GPU Time",
    unit: "GPU-Seconds",
    listPriceUsd: "0.0008",
    creditsPerUnit: "0.08",
    resourceKind: "SANDBOX",
    model: null,
    serviceName: "Sandboxes",
    serviceCategory: "Compute",
    serviceSubcategory: "Containers",
  },
  {
    id: "computer-vcpu-seconds",
    name: "Computer vCPU time",
    meter: "vCPU Time",
    unit: "vCPU-Seconds",
    listPriceUsd: "0.00005",
    creditsPerUnit: "0.005",
    resourceKind: "COMPUTER",
    model: null,
    serviceName: "Computers",
    serviceCategory: "Compute",
    serviceSubcategory: "Virtual Machines",
  },
  {
    id: "storage-gb-hours",
    name: "Attached storage",
    meter: "Storage",
    unit: "GB-Hours",
    listPriceUsd: "0.0001",
    creditsPerUnit: "0.01",
    resourceKind: "STORAGE",
    model: null,
    serviceName: "Sandbox Storage",
    serviceCategory: "Storage",
    serviceSubcategory: "Block Storage",
  },
  {
    id: "image-sdxl-1024",
    name: "SDXL image 1024×1024",
    meter: "Images",
    unit: "Image",
    listPriceUsd: "0.004",
    creditsPerUnit: "0.4",
    resourceKind: "INFERENCE",
    model: "sdxl",
    serviceName: "Image Generation",
    serviceCategory: "AI and Machine Learning",
    serviceSubcategory: "Generative AI",
  },
  {
    id: "image-flux-pro",
    name: "FLUX pro image",
    meter: "Images",
    unit: "Image",
    listPriceUsd: "0.05",
    creditsPerUnit: "5",
    resourceKind: "INFERENCE",
    model: "flux-pro",
    serviceName: "Image Generation",
    serviceCategory: "AI and Machine Learning",
    serviceSubcategory: "Generative AI",
  },
];

export const LLM_MODELS = ["claude-sonnet-4", "gpt-4o", "gpt-4o-mini", "llama-3.3-70b"] as const;

const SKU_COLUMNS = [
  "id", "name", "meter", "unit", "listPriceUsd", "creditsPerUnit", "resourceKind", "model", "serviceName",
  "serviceCategory", "serviceSubcategory",
] as const;

/** Inserts the SKUs that are not there yet; existing prices are left as they are. */
export async function insertPriceList(session: SqlSession, skus: SkuSeed[] = PRICE_LIST): Promise<void> {
  const type = (name: string) =>
    name === "resourceKind" ? '"ResourceKind"' : name === "listPriceUsd" || name === "creditsPerUnit" ? "numeric" : "text";
  await insertRows(
    sessionSql(session),
    "Sku",
    SKU_COLUMNS.map((name) => ({ name, type: type(name) })),
    skus.map((sku) => SKU_COLUMNS.map((name) => sku[name])),
    { onConflict: 'ON CONFLICT ("id") DO NOTHING' },
  );
}
