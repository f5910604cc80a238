-- Credit lots: every row that adds credits (grant, purchase, refund, positive adjustment) becomes a
-- lot with a priority, an optional expiry and a cost in USD; every debit (usage, charged execution,
-- negative adjustment, expiration) records which lots paid for it, and the cost of what it took.
--
-- How the existing ledger becomes lots. Balances are not changed: no ledger row is added, removed
-- or altered except for its new costUsd. Each workspace's rows are replayed in id order:
--   * A row with a positive amount creates a lot of its credits at priority 50. Purchases cost the
--     money paid (moneyAmount); grants, refunds and adjustments cost 0, since the old ledger does
--     not say which credits a refund returned. Grants and purchases keep their expiresAt. The new
--     lot first settles overdraft still owed, oldest first.
--   * A debit takes credits in the draw order (priority, soonest expiry with none last, oldest):
--     first from lots that had not expired when the debit happened, then from lots that had (the
--     old ledger let expired credits pay, and its balances say so), then as overdraft owed. An
--     EXPIRATION row takes from lots expired at its time first, and is named as the expiration
--     of the first lot it empties.
--   * Each lot keeps the earliest and latest time of the rows that drew on it (firstDrawnAt,
--     lastDrawnAt), computed from the allocations once the replay is done.
--   * The cost of credits taken from a lot is the lot's remaining cost × taken ÷ remaining,
--     rounded to 8 places, and the whole remaining cost when the take empties the lot; so a lot's
--     costs add up exactly. A debit's costUsd is the sum of its allocations.
--   * Credits whose expiry had already passed when this migration runs, and that the old ledger
--     still counted (no EXPIRATION row took them), keep counting: their lot gets no expiry, so no
--     balance changes and no expiration is back-dated into a period already reported. The ledger
--     row keeps its expiresAt as history. Lots expiring later expire then, as every lot does.

CREATE TYPE "CreditLotSource" AS ENUM ('GRANT', 'PURCHASE', 'REFUND', 'ADJUSTMENT');

ALTER TABLE "CreditTransaction" ADD COLUMN "costUsd" DECIMAL(20,8) NOT NULL DEFAULT 0;

CREATE TABLE "CreditLot" (
    "id" BIGSERIAL NOT NULL,
    "workspaceId" UUID NOT NULL,
    "source" "CreditLotSource" NOT NULL,
    "transactionId" BIGINT NOT NULL,
    "priority" INTEGER NOT NULL DEFAULT 50,
    "originalCredits" DECIMAL(24,6) NOT NULL,
    "remainingCredits" DECIMAL(24,6) NOT NULL,
    "originalCostUsd" DECIMAL(20,8) NOT NULL,
    "remainingCostUsd" DECIMAL(20,8) NOT NULL,
    "expiresAt" TIMESTAMPTZ(3),
    "expirationTransactionId" BIGINT,
    "refundOfTransactionId" BIGINT,
    "firstDrawnAt" TIMESTAMPTZ(3),
    "lastDrawnAt" TIMESTAMPTZ(3),
    "createdAt" TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT "CreditLot_pkey" PRIMARY KEY ("id"),
    -- What the draw-down keeps true, guarded here too: a lot never gives more than it holds.
    CONSTRAINT "CreditLot_priority_check" CHECK ("priority" BETWEEN 1 AND 100),
    CONSTRAINT "CreditLot_remaining_check" CHECK ("remainingCredits" >= 0 AND "remainingCredits" <= "originalCredits"),
    CONSTRAINT "CreditLot_cost_check" CHECK ("remainingCostUsd" >= 0 AND "remainingCostUsd" <= "originalCostUsd")
);
CREATE UNIQUE INDEX "CreditLot_transactionId_key" ON "CreditLot"("transactionId");
CREATE UNIQUE INDEX "CreditLot_expirationTransactionId_key" ON "CreditLot"("expirationTransactionId");
CREATE INDEX "CreditLot_workspaceId_id_idx" ON "CreditLot"("workspaceId", "id");
CREATE INDEX "CreditLot_refundOfTransactionId_idx" ON "CreditLot"("refundOfTransactionId");
CREATE INDEX "CreditLot_open_idx" ON "CreditLot"("expiresAt") WHERE "remainingCredits" > 0 AND "expirationTransactionId" IS NULL;
CREATE INDEX "CreditLot_open_workspace_idx" ON "CreditLot"("workspaceId") WHERE "remainingCredits" > 0 AND "expirationTransactionId" IS NULL;

CREATE TABLE "CreditAllocation" (
    "id" BIGSERIAL NOT NULL,
    "workspaceId" UUID NOT NULL,
    "transactionId" BIGINT NOT NULL,
    "lotId" BIGINT,
    "credits" DECIMAL(24,6) NOT NULL,
    "costUsd" DECIMAL(20,8) NOT NULL,
    CONSTRAINT "CreditAllocation_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "CreditAllocation_amount_check" CHECK ("credits" > 0 AND "costUsd" >= 0)
);
CREATE INDEX "CreditAllocation_transactionId_idx" ON "CreditAllocation"("transactionId");
CREATE INDEX "CreditAllocation_lotId_idx" ON "CreditAllocation"("lotId");
CREATE INDEX "CreditAllocation_owed_idx" ON "CreditAllocation"("workspaceId", "id") WHERE "lotId" IS NULL;

ALTER TABLE "CreditLot" ADD CONSTRAINT "CreditLot_workspaceId_fkey" FOREIGN KEY ("workspaceId") REFERENCES "Workspace"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "CreditLot" ADD CONSTRAINT "CreditLot_transactionId_fkey" FOREIGN KEY ("transactionId") REFERENCES "CreditTransaction"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "CreditLot" ADD CONSTRAINT "CreditLot_expirationTransactionId_fkey" FOREIGN KEY ("expirationTransactionId") REFERENCES "CreditTransaction"("id") ON DELETE SET NULL ON UPDATE CASCADE;
ALTER TABLE "CreditLot" ADD CONSTRAINT "CreditLot_refundOfTransactionId_fkey" FOREIGN KEY ("refundOfTransactionId") REFERENCES "CreditTransaction"("id") ON DELETE SET NULL ON UPDATE CASCADE;
ALTER TABLE "CreditAllocation" ADD CONSTRAINT "CreditAllocation_workspaceId_fkey" FOREIGN KEY ("workspaceId") REFERENCES "Workspace"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "CreditAllocation" ADD CONSTRAINT "CreditAllocation_transactionId_fkey" FOREIGN KEY ("transactionId") REFERENCES "CreditTransaction"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "CreditAllocation" ADD CONSTRAINT "CreditAllocation_lotId_fkey" FOREIGN KEY ("lotId") REFERENCES "CreditLot"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- The replay described above.
DO $replay$
DECLARE
  t RECORD;
  lot RECORD;
  owed RECORD;
  new_lot BIGINT;
  need NUMERIC;
  take NUMERIC;
  cost NUMERIC;
  total NUMERIC;
  named BOOLEAN;
BEGIN
  FOR t IN SELECT * FROM "CreditTransaction" WHERE amount <> 0 ORDER BY "workspaceId", id LOOP
    IF t.amount > 0 THEN
      INSERT INTO "CreditLot" ("workspaceId", source, "transactionId", "originalCredits", "remainingCredits",
        "originalCostUsd", "remainingCostUsd", "expiresAt", "createdAt")
      VALUES (t."workspaceId",
        (CASE WHEN t.type IN ('GRANT', 'PURCHASE', 'REFUND') THEN t.type::text ELSE 'ADJUSTMENT' END)::"CreditLotSource",
        t.id, t.amount, t.amount,
        CASE WHEN t.type = 'PURCHASE' THEN COALESCE(t."moneyAmount", 0) ELSE 0 END,
        CASE WHEN t.type = 'PURCHASE' THEN COALESCE(t."moneyAmount", 0) ELSE 0 END,
        CASE WHEN t.type IN ('GRANT', 'PURCHASE') THEN t."expiresAt" END,
        t."occurredAt")
      RETURNING id INTO new_lot;
      FOR owed IN SELECT * FROM "CreditAllocation" WHERE "workspaceId" = t."workspaceId" AND "lotId" IS NULL ORDER BY id LOOP
        SELECT * INTO lot FROM "CreditLot" WHERE id = new_lot;
        EXIT WHEN lot."remainingCredits" = 0;
        take := LEAST(owed.credits, lot."remainingCredits");
        cost := CASE WHEN take = lot."remainingCredits" THEN lot."remainingCostUsd"
                     ELSE round(lot."remainingCostUsd" * take / lot."remainingCredits", 8) END;
        UPDATE "CreditLot" SET "remainingCredits" = "remainingCredits" - take, "remainingCostUsd" = "remainingCostUsd" - cost WHERE id = new_lot;
        IF take = owed.credits THEN
          DELETE FROM "CreditAllocation" WHERE id = owed.id;
        ELSE
          UPDATE "CreditAllocation" SET credits = credits - take WHERE id = owed.id;
        END IF;
        INSERT INTO "CreditAllocation" ("workspaceId", "transactionId", "lotId", credits, "costUsd")
        VALUES (t."workspaceId", owed."transactionId", new_lot, take, cost);
        UPDATE "CreditTransaction" SET "costUsd" = "costUsd" + cost WHERE id = owed."transactionId";
      END LOOP;
    ELSE
      need := -t.amount;
      total := 0;
      named := false;
      FOR lot IN
        SELECT *, ("expiresAt" IS NOT NULL AND "expiresAt" <= t."occurredAt") AS lapsed FROM "CreditLot"
        WHERE "workspaceId" = t."workspaceId" AND "remainingCredits" > 0
        ORDER BY CASE WHEN ("expiresAt" IS NOT NULL AND "expiresAt" <= t."occurredAt") = (t.type = 'EXPIRATION') THEN 0 ELSE 1 END,
          priority, "expiresAt" NULLS LAST, id
      LOOP
        EXIT WHEN need = 0;
        take := LEAST(need, lot."remainingCredits");
        cost := CASE WHEN take = lot."remainingCredits" THEN lot."remainingCostUsd"
                     ELSE round(lot."remainingCostUsd" * take / lot."remainingCredits", 8) END;
        UPDATE "CreditLot" SET "remainingCredits" = "remainingCredits" - take, "remainingCostUsd" = "remainingCostUsd" - cost,
          "expirationTransactionId" = CASE WHEN t.type = 'EXPIRATION' AND NOT named AND lot.lapsed AND take = lot."remainingCredits"
                                           THEN t.id ELSE "expirationTransactionId" END
        WHERE id = lot.id;
        IF t.type = 'EXPIRATION' AND lot.lapsed AND take = lot."remainingCredits" THEN named := true; END IF;
        INSERT INTO "CreditAllocation" ("workspaceId", "transactionId", "lotId", credits, "costUsd")
        VALUES (t."workspaceId", t.id, lot.id, take, cost);
        need := need - take;
        total := total + cost;
      END LOOP;
      IF need > 0 THEN
        INSERT INTO "CreditAllocation" ("workspaceId", "transactionId", "lotId", credits, "costUsd")
        VALUES (t."workspaceId", t.id, NULL, need, 0);
      END IF;
      UPDATE "CreditTransaction" SET "costUsd" = total WHERE id = t.id;
    END IF;
  END LOOP;
  UPDATE "CreditLot" SET "expiresAt" = NULL
  WHERE "expiresAt" <= now() AND "remainingCredits" > 0 AND "expirationTransactionId" IS NULL;
  UPDATE "CreditLot" l SET "firstDrawnAt" = d.first, "lastDrawnAt" = d.last
  FROM (SELECT a."lotId", min(c."occurredAt") AS first, max(c."occurredAt") AS last
        FROM "CreditAllocation" a JOIN "CreditTransaction" c ON c.id = a."transactionId"
        WHERE a."lotId" IS NOT NULL GROUP BY a."lotId") d
  WHERE l.id = d."lotId";
END
$replay$;
