-- Three links that the ledger writes itself, in the transaction that writes both ends, lose their
-- foreign keys: a USAGE row's usage record, an allocation's lot and a usage record's API key.
-- PostgreSQL checked each once per row, 4–5 ms per 1,000 rows each, two of them inside the
-- workspace's locked ledger write. Records and lots are deleted only with their workspace (whose
-- keys delete the rows that name them); keys are revoked, never deleted.
ALTER TABLE "CreditTransaction" DROP CONSTRAINT "CreditTransaction_usageRecordId_fkey";
ALTER TABLE "CreditAllocation" DROP CONSTRAINT "CreditAllocation_lotId_fkey";
ALTER TABLE "UsageRecord" DROP CONSTRAINT "UsageRecord_apiKeyId_fkey";
