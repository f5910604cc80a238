-- An allocation's workspace is its transaction's: the transaction's foreign key already says that
-- the workspace exists and deletes the allocation with it (through the allocation's own key to the
-- transaction). PostgreSQL checked this one once per allocation row, inside the ledger's locked write.
ALTER TABLE "CreditAllocation" DROP CONSTRAINT "CreditAllocation_workspaceId_fkey";
