import { SignJWT } from "jose";

/** A dashboard session token for development (`cli token`); production sessions come from the IdP. */
export async function signSessionToken(
  secret: string,
  userId: string,
  now: Date,
  options: { issuer?: string; audience?: string; ttlSeconds?: number } = {},
): Promise<string> {
  const issuedAt = Math.floor(now.getTime() / 1000);
  let jwt = new SignJWT({}).setProtectedHeader({ alg: "HS256" }).setSubject(userId).setIssuedAt(issuedAt)
    .setExpirationTime(issuedAt + (options.ttlSeconds ?? 12 * 3600));
  if (options.issuer) jwt = jwt.setIssuer(options.issuer);
  if (options.audience) jwt = jwt.setAudience(options.audience);
  return jwt.sign(new TextEncoder().encode(secret));
}
