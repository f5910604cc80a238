-- Each ledger row keeps, beside its allocations, the text of what it drew from lots: "lot:credits:cost"
-- per allocation with a lot, space-separated, in allocation order. A FOCUS export names a debit's
-- purchases (ContractApplied) from it: looking up and aggregating each row's allocations had cost
-- PostgreSQL 3 s of a 6 s read of 1,000,000 usage rows. The ledger writes it with the row, and
-- appends to it when a later purchase settles overdraft the row owed.
ALTER TABLE "CreditTransaction" ADD COLUMN "lotDraws" TEXT;

UPDATE "CreditTransaction" c SET "lotDraws" = d.draws
FROM (
  SELECT a."transactionId",
    string_agg(a."lotId"::text || ':' || trim_scale(a.credits)::text || ':' || trim_scale(a."costUsd")::text, ' ' ORDER BY a.id) AS draws
  FROM "CreditAllocation" a WHERE a."lotId" IS NOT NULL GROUP BY a."transactionId"
) d
WHERE c.id = d."transactionId";
