import { signSessionToken } from "../auth/session-token.js";
import type { Config } from "../config/config.js";
import type { Database } from "../db/client.js";
import { userByEmail } from "../domain/credentials.js";
import { NotFoundError } from "../domain/errors.js";
import { UsageError, parseCommandArgs } from "./args.js";
import { operatorContext } from "./operator.js";

export async function tokenCommand(db: Database, config: Config, args: string[]): Promise<number> {
  const { values } = parseCommandArgs(args, { user: { type: "string" } });
  if (!values.user) throw new UsageError("token needs --user <email>");
  if (!config.JWT_SECRET) {
    throw new UsageError("token needs a development JWT_SECRET; with JWT_JWKS_URL your identity provider issues sessions");
  }
  const ctx = await operatorContext(db, config);
  const user = await userByEmail(ctx, values.user).catch((error) => {
    throw error instanceof NotFoundError ? new UsageError(`No user with email "${values.user}"`) : error;
  });
  console.error(`Session for ${user.email}; send it as Authorization: Bearer <token>, with X-Workspace-Id for the workspace.`);
  console.log(await signSessionToken(config.JWT_SECRET, user.id, ctx.clock.now(), { issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE }));
  return 0;
}
