import type { Config } from "../config/config.js";
import type { Database } from "../db/client.js";
import { apiKeyStatus, createApiKey, listApiKeys, revokeApiKey } from "../domain/api-keys.js";
import type { Scope } from "../domain/access.js";
import type { RequestContext } from "../domain/context.js";
import { readInstant } from "../domain/rules/instants.js";
import { findOrganization, findWorkspace, listWorkspaces } from "../domain/workspaces.js";
import { UsageError, parseCommandArgs } from "./args.js";
import { operatorContext } from "./operator.js";

export async function keysCommand(db: Database, config: Config, args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  const ctx = await operatorContext(db, config);
  if (sub === "create") return createKey(ctx, rest);
  if (sub === "list") return listKeys(ctx, rest);
  if (sub === "revoke") return revokeKey(ctx, rest);
  throw new UsageError('Use "keys create", "keys list" or "keys revoke <id>"');
}

async function workspaceBySlug(ctx: RequestContext, slug: string | undefined) {
  if (!slug) return null;
  const workspace = await findWorkspace(ctx, { slug });
  if (!workspace) throw new UsageError(`No workspace with slug "${slug}"`);
  return workspace;
}

async function createKey(ctx: RequestContext, args: string[]): Promise<number> {
  const { values } = parseCommandArgs(args, {
    workspace: { type: "string" },
    org: { type: "string" },
    scope: { type: "string", multiple: true },
    expires: { type: "string" },
    name: { type: "string" },
  });
  if (!values.workspace && !values.org) throw new UsageError("keys create needs --workspace <slug> (or --org <slug>)");
  if (!values.scope?.length) throw new UsageError("keys create needs at least one --scope");
  const workspace = await workspaceBySlug(ctx, values.workspace);
  const org = values.org ? await findOrganization(ctx, { slug: values.org }) : null;
  if (values.org && !org) throw new UsageError(`No organization with slug "${values.org}"`);
  const expires = values.expires === undefined ? null : readInstant(values.expires);
  if (expires && !expires.ok) throw new UsageError(`--expires "${values.expires}" ${expires.problem}`);
  const { apiKey, secret } = await createApiKey(ctx, {
    name: values.name ?? `CLI key for ${values.workspace ?? values.org}`,
    scopes: values.scope as Scope[],
    workspaceId: workspace?.id,
    organizationId: org?.id,
    expiresAt: expires?.ok ? expires.value : null,
  });
  console.error(`Created key ${apiKey.id} (${apiKey.scopes?.join(" ")}); it is shown once:`);
  console.log(secret);
  return 0;
}

async function listKeys(ctx: RequestContext, args: string[]): Promise<number> {
  const { values } = parseCommandArgs(args, { workspace: { type: "string" } });
  const workspace = await workspaceBySlug(ctx, values.workspace);
  const keys = await listApiKeys(ctx, workspace);
  const slugs = new Map((await listWorkspaces(ctx)).map((w) => [w.id, w.slug]));
  console.table(keys.map((key) => ({
    id: key.id,
    hint: `${key.hint}…`,
    name: key.name,
    owner: key.workspaceId ? slugs.get(key.workspaceId) : `org:${key.organizationId}`,
    scopes: (key.scopes ?? []).join(" "),
    status: apiKeyStatus(ctx, key).toLowerCase(),
    lastUsed: key.lastUsedAt?.toISOString() ?? "never",
  })));
  return 0;
}

async function revokeKey(ctx: RequestContext, args: string[]): Promise<number> {
  const { positionals } = parseCommandArgs(args, {});
  if (positionals.length !== 1) throw new UsageError("keys revoke needs exactly one key id");
  const key = await revokeApiKey(ctx, positionals[0]!);
  console.error(`Key ${key.id} revoked at ${key.revokedAt!.toISOString()}`);
  return 0;
}
