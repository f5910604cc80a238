// What must hold of a workspace's ledger and lots after any history: the running balance, each
// lot's credits and cost accounted for by its allocations, each debit paid in full (by lots or as
// overdraft owed) at the cost of what it took, and recorded as drawn (lotDraws), and the balance
// equal to the lots less what is owed; and the links between them that no foreign key checks.
import type { Database } from "../../src/db/client.js";

const CHECKS: Record<string, string> = {
  "balanceAfter is the running sum": `SELECT id FROM (
      SELECT id, "balanceAfter", SUM(amount) OVER (ORDER BY id) AS running FROM "CreditTransaction" WHERE "workspaceId" = $1::uuid) x
    WHERE "balanceAfter" <> running`,
  "the workspace keeps the newest balanceAfter": `SELECT id FROM "Workspace" w WHERE id = $1::uuid
    AND "creditBalance" <> COALESCE((SELECT "balanceAfter" FROM "CreditTransaction" WHERE "workspaceId" = w.id ORDER BY id DESC LIMIT 1), 0)`,
  "a lot's credits given are its allocations": `SELECT l.id FROM "CreditLot" l WHERE l."workspaceId" = $1::uuid
    AND l."originalCredits" - l."remainingCredits" <> (SELECT COALESCE(SUM(credits), 0) FROM "CreditAllocation" a WHERE a."lotId" = l.id)`,
  "a lot's cost given is its allocations' cost": `SELECT l.id FROM "CreditLot" l WHERE l."workspaceId" = $1::uuid
    AND l."originalCostUsd" - l."remainingCostUsd" <> (SELECT COALESCE(SUM("costUsd"), 0) FROM "CreditAllocation" a WHERE a."lotId" = l.id)`,
  "a debit is allocated in full": `SELECT c.id FROM "CreditTransaction" c WHERE c."workspaceId" = $1::uuid AND c.amount < 0
    AND -c.amount <> (SELECT COALESCE(SUM(credits), 0) FROM "CreditAllocation" a WHERE a."transactionId" = c.id)`,
  "a debit costs what its allocations cost": `SELECT c.id FROM "CreditTransaction" c WHERE c."workspaceId" = $1::uuid AND c.amount < 0
    AND c."costUsd" <> (SELECT COALESCE(SUM("costUsd"), 0) FROM "CreditAllocation" a WHERE a."transactionId" = c.id)`,
  "a row's lotDraws are its allocations from lots, in order": `SELECT c.id FROM "CreditTransaction" c WHERE c."workspaceId" = $1::uuid
    AND c."lotDraws" IS DISTINCT FROM (SELECT string_agg(a."lotId"::text || ':' || trim_scale(a.credits)::text || ':' || trim_scale(a."costUsd")::text, ' ' ORDER BY a.id)
      FROM "CreditAllocation" a WHERE a."transactionId" = c.id AND a."lotId" IS NOT NULL)`,
  "a row that adds credits makes one lot of them": `SELECT c.id FROM "CreditTransaction" c WHERE c."workspaceId" = $1::uuid AND c.amount > 0
    AND NOT EXISTS (SELECT 1 FROM "CreditLot" l WHERE l."transactionId" = c.id AND l."originalCredits" = c.amount)`,
  "a usage record is debited once": `SELECT u.id FROM "UsageRecord" u WHERE u."workspaceId" = $1::uuid
    AND (SELECT COUNT(*) FROM "CreditTransaction" c WHERE c."usageRecordId" = u.id AND c.type = 'USAGE') <> 1`,
  // Links the database does not check (no foreign keys on the ledger's hot inserts): the ledger writes
  // both ends. Each row is joined by the other end's primary key alone: with the workspace in the
  // join as well, a tenant newer than the statistics was planned as one row, and every ledger row
  // was compared with every usage record of the tenant (180,000² in the benchmark).
  "a USAGE row's record is one of its workspace's": `SELECT c.id FROM "CreditTransaction" c LEFT JOIN "UsageRecord" u ON u.id = c."usageRecordId"
    WHERE c."workspaceId" = $1::uuid AND c."usageRecordId" IS NOT NULL AND u."workspaceId" IS DISTINCT FROM c."workspaceId"`,
  "an allocation's lot is one of its workspace's": `SELECT a.id FROM "CreditTransaction" c JOIN "CreditAllocation" a ON a."transactionId" = c.id
    LEFT JOIN "CreditLot" l ON l.id = a."lotId"
    WHERE c."workspaceId" = $1::uuid AND a."lotId" IS NOT NULL AND l."workspaceId" IS DISTINCT FROM c."workspaceId"`,
  "a usage record's key exists": `SELECT u.id FROM "UsageRecord" u LEFT JOIN "ApiKey" k ON k.id = u."apiKeyId"
    WHERE u."workspaceId" = $1::uuid AND u."apiKeyId" IS NOT NULL AND k.id IS NULL`,
  "the balance is the lots less what is owed": `SELECT w.id FROM "Workspace" w WHERE w.id = $1::uuid AND w."creditBalance" <>
    (SELECT COALESCE(SUM("remainingCredits"), 0) FROM "CreditLot" WHERE "workspaceId" = w.id)
    - (SELECT COALESCE(SUM(credits), 0) FROM "CreditAllocation" WHERE "workspaceId" = w.id AND "lotId" IS NULL)`,
  "an expired lot is emptied by its one EXPIRATION row": `SELECT l.id FROM "CreditLot" l JOIN "CreditTransaction" c ON c.id = l."expirationTransactionId"
    WHERE l."workspaceId" = $1::uuid AND (l."remainingCredits" <> 0 OR c.type <> 'EXPIRATION'
      OR (SELECT COUNT(*) FROM "CreditAllocation" a WHERE a."transactionId" = c.id AND a."lotId" = l.id) <> 1)`,
};

/** Each invariant that fails, with up to five ids of rows that break it; an empty object when all hold. */
export async function ledgerViolations(db: Database, workspaceId: string): Promise<Record<string, string[]>> {
  const found: Record<string, string[]> = {};
  for (const [name, sql] of Object.entries(CHECKS)) {
    const rows = await db.prisma.$queryRawUnsafe<{ id: unknown }[]>(`${sql} LIMIT 5`, workspaceId);
    if (rows.length) found[name] = rows.map((row) => String(row.id));
  }
  return found;
}
