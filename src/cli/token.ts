import { signSessionToken } from "../auth/session-token.js";
import type { Config } from "../config/config.js";
import type { Database } from "../db/client.js";
import { UsageError, parseCommandArgs } from "./args.js";

export async function tokenCommand(db: Database, config: Config, args: string[]): Promise<number> {
  const { values } = parseCommandArgs(args, { user: { type: "string" } });
  if (!values.user) throw new UsageError("token needs --user <email>");
  if (!config.JWT_SECRET) {
    throw new UsageError("token needs a development JWT_SECRET; with JWT_JWKS_URL your identity provider issues sessions");
  }
  const user = await db.prisma.user.findUnique({ where: { email: values.user } });
  if (!user) throw new UsageError(`No user with email "${values.user}"`);
  console.error(`Session for ${user.email}; send it as Authorization: Bearer <token>, with X-Workspace-Id for the workspace.`);
  console.log(await signSessionToken(config.JWT_SECRET, user.id, { issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE }));
  return 0;
}
