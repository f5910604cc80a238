// The FOCUS 1.3 facts of both datasets (Cost and Usage, Contract Commitment) that the conformance checker needs, written from the reference
// (../shared/focus-1.3.md, sections 1-3) and independent of the gateway's own column list, so
// that a mistake in one is caught by the other.

export type SpecType = "String" | "Decimal" | "DateTime" | "KeyValue" | "JsonObject";
export type Level = "M" | "C" | "R";

export interface SpecColumn {
  type: SpecType;
  level: Level;
  /** The column must not be null (the safe reading of the spec's contradictions). */
  notNull: boolean;
}

const col = (type: SpecType, level: Level, notNull = false): SpecColumn => ({ type, level, notNull });

export const SPEC_COLUMNS: Record<string, SpecColumn> = {
  AllocatedMethodDetails: col("JsonObject", "R"),
  AllocatedMethodId: col("String", "C"),
  AllocatedResourceId: col("String", "C"),
  AllocatedResourceName: col("String", "C"),
  AllocatedTags: col("KeyValue", "C"),
  AvailabilityZone: col("String", "R"),
  BilledCost: col("Decimal", "M", true),
  BillingAccountId: col("String", "M", true),
  BillingAccountName: col("String", "M"),
  BillingAccountType: col("String", "C", true),
  BillingCurrency: col("String", "M", true),
  BillingPeriodEnd: col("DateTime", "M", true),
  BillingPeriodStart: col("DateTime", "M", true),
  CapacityReservationId: col("String", "C"),
  CapacityReservationStatus: col("String", "C"),
  ChargeCategory: col("String", "M", true),
  ChargeClass: col("String", "M"),
  ChargeDescription: col("String", "M"),
  ChargeFrequency: col("String", "R", true),
  ChargePeriodEnd: col("DateTime", "M", true),
  ChargePeriodStart: col("DateTime", "M", true),
  CommitmentDiscountCategory: col("String", "C"),
  CommitmentDiscountId: col("String", "C"),
  CommitmentDiscountName: col("String", "C"),
  CommitmentDiscountQuantity: col("Decimal", "C"),
  CommitmentDiscountStatus: col("String", "C"),
  CommitmentDiscountType: col("String", "C"),
  CommitmentDiscountUnit: col("String", "C"),
  ConsumedQuantity: col("Decimal", "C"),
  ConsumedUnit: col("String", "C"),
  ContractApplied: col("JsonObject", "C"),
  ContractedCost: col("Decimal", "M", true),
  ContractedUnitPrice: col("Decimal", "C"),
  EffectiveCost: col("Decimal", "M", true),
  HostProviderName: col("String", "M"), // N*: null allowed only on some Tax and Adjustment rows (checked below)
  InvoiceId: col("String", "R"),
  InvoiceIssuerName: col("String", "M", true),
  ListCost: col("Decimal", "M", true),
  ListUnitPrice: col("Decimal", "C"),
  PricingCategory: col("String", "C"),
  PricingCurrency: col("String", "C", true),
  PricingCurrencyContractedUnitPrice: col("Decimal", "C"),
  PricingCurrencyEffectiveCost: col("Decimal", "C", true),
  PricingCurrencyListUnitPrice: col("Decimal", "C"),
  PricingQuantity: col("Decimal", "M"),
  PricingUnit: col("String", "M"),
  ProviderName: col("String", "M", true),
  PublisherName: col("String", "M", true),
  RegionId: col("String", "C"),
  RegionName: col("String", "C"),
  ResourceId: col("String", "C"),
  ResourceName: col("String", "C"),
  ResourceType: col("String", "C"),
  ServiceCategory: col("String", "M", true),
  ServiceName: col("String", "M", true),
  ServiceProviderName: col("String", "M", true),
  ServiceSubcategory: col("String", "R", true),
  SkuId: col("String", "C"),
  SkuMeter: col("String", "C"),
  SkuPriceDetails: col("KeyValue", "C"),
  SkuPriceId: col("String", "C"),
  SubAccountId: col("String", "C"),
  SubAccountName: col("String", "C"),
  SubAccountType: col("String", "C"),
  Tags: col("KeyValue", "C"),
};

/** The Contract Commitment dataset (new in 1.3): all 13 columns are Mandatory. */
export const COMMITMENT_SPEC_COLUMNS: Record<string, SpecColumn> = {
  BillingCurrency: col("String", "M"),
  ContractCommitmentCategory: col("String", "M", true),
  ContractCommitmentCost: col("Decimal", "M"),
  ContractCommitmentDescription: col("String", "M"),
  ContractCommitmentId: col("String", "M", true),
  ContractCommitmentPeriodEnd: col("DateTime", "M", true),
  ContractCommitmentPeriodStart: col("DateTime", "M", true),
  ContractCommitmentQuantity: col("Decimal", "M"),
  ContractCommitmentType: col("String", "M", true),
  ContractCommitmentUnit: col("String", "M"),
  ContractId: col("String", "M", true),
  ContractPeriodEnd: col("DateTime", "M", true),
  ContractPeriodStart: col("DateTime", "M", true),
};

export type FocusDatasetId = "CostAndUsage" | "ContractCommitment";

/** What a provider supports, and the Conditional columns each capability makes required. */
export const CAPABILITY_COLUMNS = {
  BILLING_ACCOUNT_TYPES: ["BillingAccountType"],
  VIRTUAL_CURRENCY: ["PricingCurrency", "PricingCurrencyEffectiveCost", "PricingCurrencyListUnitPrice", "PricingCurrencyContractedUnitPrice"],
  UNIT_PRICING: ["ListUnitPrice", "SkuId", "SkuPriceId", "SkuMeter", "SkuPriceDetails"],
  NEGOTIATED_PRICING: ["ContractedUnitPrice"],
  USAGE_MEASUREMENT: ["ConsumedQuantity", "ConsumedUnit"],
  SUB_ACCOUNTS: ["SubAccountId", "SubAccountName", "SubAccountType"],
  RESOURCES: ["ResourceId", "ResourceName", "ResourceType"],
  TAGGING: ["Tags"],
  REGIONS: ["RegionId", "RegionName"],
  COMMITMENT_DISCOUNTS: ["CommitmentDiscountCategory", "CommitmentDiscountId", "CommitmentDiscountName", "CommitmentDiscountQuantity",
    "CommitmentDiscountStatus", "CommitmentDiscountType", "CommitmentDiscountUnit"],
  CAPACITY_RESERVATIONS: ["CapacityReservationId", "CapacityReservationStatus"],
  ALLOCATION: ["AllocatedMethodId", "AllocatedResourceId", "AllocatedResourceName", "AllocatedTags"],
  CONTRACT_COMMITMENTS: ["ContractApplied"],
} as const;

export type Capability = keyof typeof CAPABILITY_COLUMNS;

export const ENUMS: Record<string, readonly string[]> = {
  ChargeCategory: ["Usage", "Purchase", "Tax", "Credit", "Adjustment"],
  ChargeClass: ["Correction"],
  ChargeFrequency: ["One-Time", "Recurring", "Usage-Based"],
  PricingCategory: ["Standard", "Dynamic", "Committed", "Other"],
  CommitmentDiscountStatus: ["Used", "Unused"],
  CapacityReservationStatus: ["Used", "Unused"],
  CommitmentDiscountCategory: ["Spend", "Usage"],
  ContractCommitmentCategory: ["Spend", "Usage"],
};

/** ServiceCategory → its subcategories; each also has "Other (<Category>)". */
export const SUBCATEGORIES: Record<string, string[]> = {
  "AI and Machine Learning": ["AI Platforms", "Bots", "Generative AI", "Machine Learning", "Natural Language Processing"],
  Analytics: ["Analytics Platforms", "Business Intelligence", "Data Processing", "Search", "Streaming Analytics"],
  "Business Applications": ["Productivity and Collaboration"],
  Compute: ["Containers", "End User Computing", "Quantum Compute", "Serverless Compute", "Virtual Machines"],
  Databases: ["Caching", "Data Warehouses", "Ledger Databases", "NoSQL Databases", "Relational Databases", "Time Series Databases"],
  "Developer Tools": ["Developer Platforms", "Continuous Integration and Deployment", "Development Environments", "Source Code Management", "Quality Assurance"],
  Multicloud: ["Multicloud Integration"],
  Identity: ["Identity and Access Management"],
  Integration: ["API Management", "Messaging", "Workflow Orchestration"],
  "Internet of Things": ["IoT Analytics", "IoT Platforms"],
  "Management and Governance": ["Architecture", "Compliance", "Cost Management", "Data Governance", "Disaster Recovery", "Endpoint Management", "Observability", "Support"],
  Media: ["Content Creation", "Gaming", "Media Streaming", "Mixed Reality"],
  Migration: ["Data Migration", "Resource Migration"],
  Mobile: [],
  Networking: ["Application Networking", "Content Delivery", "Network Connectivity", "Network Infrastructure", "Network Routing", "Network Security"],
  Security: ["Secret Management", "Security Posture Management", "Threat Detection and Response"],
  Storage: ["Backup Storage", "Block Storage", "File Storage", "Object Storage", "Storage Platforms"],
  Web: ["Application Platforms"],
  Other: [],
};

/** FOCUS keys allowed in SkuPriceDetails besides x_ keys. */
export const SKU_PRICE_DETAIL_KEYS = new Set(["CoreCount", "DiskMaxIops", "DiskSpace", "DiskType", "GpuCount", "InstanceType", "InstanceSeries",
  "MemorySize", "NetworkMaxIops", "NetworkMaxThroughput", "OperatingSystem", "Redundancy", "StorageClass"]);

/** ISO 4217 currencies of countries and currency unions (no metals, fund or test codes). */
export const ISO_4217_NATIONAL = new Set(`AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP BYN BZD
  CAD CDF CHF CLP CNY COP CRC CUC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG
  HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP
  MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD
  SHP SLE SLL SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VED VES VND VUV WST XAF XCD XCG
  XOF XPF YER ZAR ZMW ZWG ZWL`.split(/\s+/));

/** Values that stand for "no value" and must be real nulls instead. */
export const NULL_PLACEHOLDERS = new Set(["", "null", "NULL", "Null", "N/A", "n/a", "Not Applicable", "undefined"]);

export const METADATA_DATA_TYPES: Record<SpecType, string> = {
  String: "STRING",
  Decimal: "DECIMAL",
  DateTime: "DATETIME",
  KeyValue: "JSON",
  JsonObject: "JSON",
};
