-- The ledger's idempotency keys and executions are indexed only where a row has one. USAGE rows,
-- most of the ledger, have neither; each batch of 1,000 inserted 2,000 index entries of NULLs
-- inside the workspace's locked write (about 2.5 ms of the ledger insert's 13). Lookups by a key or an execution
-- (key = $1, the execution's foreign key) imply IS NOT NULL and still use them.
DROP INDEX "CreditTransaction_workspaceId_idempotencyKey_key";
CREATE UNIQUE INDEX "CreditTransaction_workspaceId_idempotencyKey_key" ON "CreditTransaction" ("workspaceId", "idempotencyKey") WHERE "idempotencyKey" IS NOT NULL;
DROP INDEX "CreditTransaction_executionId_idx";
CREATE INDEX "CreditTransaction_executionId_idx" ON "CreditTransaction" ("executionId") WHERE "executionId" IS NOT NULL;
