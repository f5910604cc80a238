import { createApiKey, listApiKeys, revokeApiKey } from "../domain/api-keys.js";
import type { Database } from "../db/client.js";
import { UsageError, parseCommandArgs } from "./args.js";

export async function keysCommand(db: Database, args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === "create") return createKey(db, rest);
  if (sub === "list") return listKeys(db, rest);
  if (sub === "revoke") return revokeKey(db, rest);
  throw new UsageError('Use "keys create", "keys list" or "keys revoke <id>"');
}

async function createKey(db: Database, args: string[]): Promise<number> {
  const { values } = parseCommandArgs(args, {
    workspace: { type: "string" },
    org: { type: "string" },
    scope: { type: "string", multiple: true },
    expires: { type: "string" },
    name: { type: "string" },
  });
  if (!values.workspace && !values.org) throw new UsageError("keys create needs --workspace <slug> (or --org <slug>)");
  if (!values.scope?.length) throw new UsageError("keys create needs at least one --scope");
  const workspace = values.workspace ? await db.prisma.workspace.findUnique({ where: { slug: values.workspace } }) : null;
  if (values.workspace && !workspace) throw new UsageError(`No workspace with slug "${values.workspace}"`);
  const org = values.org ? await db.prisma.organization.findUnique({ where: { slug: values.org } }) : null;
  if (values.org && !org) throw new UsageError(`No organization with slug "${values.org}"`);
  if (values.expires && Number.isNaN(Date.parse(values.expires))) throw new UsageError(`--expires "${values.expires}" is not an ISO date`);
  const { apiKey, secret } = await createApiKey(db.prisma, "operator", {
    name: values.name ?? `CLI key for ${values.workspace ?? values.org}`,
    scopes: values.scope as never,
    workspaceId: workspace?.id,
    organizationId: org?.id,
    expiresAt: values.expires,
  });
  console.error(`Created key ${apiKey.id} (${apiKey.scopes?.join(" ")}); it is shown once:`);
  console.log(secret);
  return 0;
}

async function listKeys(db: Database, args: string[]): Promise<number> {
  const { values } = parseCommandArgs(args, { workspace: { type: "string" } });
  const workspace = values.workspace ? await db.prisma.workspace.findUnique({ where: { slug: values.workspace } }) : null;
  if (values.workspace && !workspace) throw new UsageError(`No workspace with slug "${values.workspace}"`);
  const keys = await listApiKeys(db.prisma, "operator", workspace?.id);
  const slugs = new Map((await db.prisma.workspace.findMany({ select: { id: true, slug: true } })).map((w) => [w.id, w.slug]));
  const rows = keys.map((key) => ({
    id: key.id,
    hint: `${key.hint}…`,
    name: key.name,
    owner: key.workspaceId ? slugs.get(key.workspaceId) : `org:${key.organizationId}`,
    scopes: (key.scopes ?? []).join(" "),
    status: key.revokedAt ? "revoked" : key.expiresAt && key.expiresAt <= new Date() ? "expired" : "active",
    lastUsed: key.lastUsedAt?.toISOString() ?? "never",
  }));
  console.table(rows);
  return 0;
}

async function revokeKey(db: Database, args: string[]): Promise<number> {
  const { positionals } = parseCommandArgs(args, {});
  if (positionals.length !== 1) throw new UsageError("keys revoke needs exactly one key id");
  const key = await revokeApiKey(db.prisma, "operator", positionals[0]!);
  console.error(`Key ${key.id} revoked at ${key.revokedAt!.toISOString()}`);
  return 0;
}
