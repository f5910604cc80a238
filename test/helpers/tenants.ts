// Two tenants with keys of every scope, for access tests.
import type { Scope } from "../../src/domain/access.js";
import type { Database } from "../../src/db/client.js";
import { grantCredits } from "../../src/domain/credits.js";
import { operatorAt, operatorKey } from "./gateway.js";

export interface Tenant {
  orgId: string;
  workspaceId: string;
  otherWorkspaceId: string;
  userId: string;
  keys: Record<"admin" | "read" | "write" | "orgAdmin", string>;
}

const key = (db: Database, scopes: Scope[], owner: { workspaceId?: string; organizationId?: string }) => operatorKey(db, { name: scopes.join("+"), scopes, ...owner });

export async function createTenant(db: Database, slug: string): Promise<Tenant> {
  const org = await db.prisma.organization.create({ data: { slug, name: `Org ${slug}` } });
  const workspace = await db.prisma.workspace.create({
    data: { slug: `${slug}-main`, name: `${slug} main`, organizationId: org.id, monthlyLimitUsd: "100" },
  });
  // Through the ledger, so that the balance has its lot like any other.
  await grantCredits(await operatorAt(db), workspace, { credits: "1000", description: "Opening balance" });
  const other = await db.prisma.workspace.create({
    data: { slug: `${slug}-other`, name: `${slug} other`, organizationId: org.id },
  });
  const user = await db.prisma.user.create({
    data: {
      email: `owner@${slug}.test`,
      name: `Owner ${slug}`,
      memberships: { create: [{ workspaceId: workspace.id, role: "OWNER" }, { workspaceId: other.id, role: "VIEWER" }] },
    },
  });
  return {
    orgId: org.id,
    workspaceId: workspace.id,
    otherWorkspaceId: other.id,
    userId: user.id,
    keys: {
      admin: await key(db, ["read:billing", "write:usage", "admin"], { workspaceId: workspace.id }),
      read: await key(db, ["read:billing"], { workspaceId: workspace.id }),
      write: await key(db, ["write:usage"], { workspaceId: workspace.id }),
      orgAdmin: await key(db, ["read:billing", "admin"], { organizationId: org.id }),
    },
  };
}
