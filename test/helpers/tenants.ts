// Two tenants with keys of every scope, for access tests.
import type { Scope } from "../../src/auth/actor.js";
import type { Database } from "../../src/db/client.js";
import { createApiKey } from "../../src/domain/api-keys.js";
import { createTestDatabase, type TestDatabase } from "./database.js";
import { startGateway, type TestGateway } from "./gateway.js";

export interface Tenant {
  orgId: string;
  workspaceId: string;
  otherWorkspaceId: string;
  userId: string;
  keys: Record<"admin" | "read" | "write" | "orgAdmin", string>;
}

async function key(db: Database, scopes: Scope[], owner: { workspaceId?: string; organizationId?: string }): Promise<string> {
  const created = await createApiKey(db.prisma, "operator", { name: scopes.join("+"), scopes, ...owner });
  return created.secret;
}

export async function createTenant(db: Database, slug: string): Promise<Tenant> {
  const org = await db.prisma.organization.create({ data: { slug, name: `Org ${slug}` } });
  const workspace = await db.prisma.workspace.create({
    data: { slug: `${slug}-main`, name: `${slug} main`, organizationId: org.id, monthlyLimitUsd: "100", creditBalance: "1000" },
  });
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

/** A fresh database with tenants "acme" and "globex", and a gateway in front of it. */
export async function startTwoTenants(): Promise<{ t: TestDatabase; gateway: TestGateway; acme: Tenant; globex: Tenant }> {
  const t = await createTestDatabase();
  const gateway = await startGateway(t.db);
  return { t, gateway, acme: await createTenant(t.db, "acme"), globex: await createTenant(t.db, "globex") };
}

export async function stopTwoTenants(t: TestDatabase, gateway: TestGateway): Promise<void> {
  await gateway.close();
  await t.drop();
}
