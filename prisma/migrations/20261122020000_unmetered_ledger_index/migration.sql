-- The ledger rows that are not metered usage (purchases, grants, refunds, adjustments, expirations,
-- execution charges): a handful among millions of usage debits. FOCUS exports read them first;
-- without this index that read scans every usage debit of the window.
CREATE INDEX "CreditTransaction_unmetered_idx" ON "CreditTransaction" ("workspaceId", "id")
    WHERE ("type" <> 'USAGE' OR "usageRecordId" IS NULL);
