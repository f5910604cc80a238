import crypto from "node:crypto";

export const API_KEY_PREFIX = "bgk_";
const SECRET_BYTES = 32;
const API_KEY_PATTERN = /^bgk_[A-Za-z0-9_-]{43}$/;

/** A new key, shown once; only its hash is stored. */
export function generateApiKeySecret(): { key: string; hash: string; hint: string } {
  const key = API_KEY_PREFIX + crypto.randomBytes(SECRET_BYTES).toString("base64url");
  return { key, hash: hashApiKey(key), hint: key.slice(0, API_KEY_PREFIX.length + 6) };
}

// A plain SHA-256 suffices: the secret has 256 bits of entropy, so a slow hash adds nothing.
export function hashApiKey(key: string): string {
  return crypto.hash("sha256", key, "hex"); // one call: a third of createHash's cost, on every request
}

export function looksLikeApiKey(token: string): boolean {
  return API_KEY_PATTERN.test(token);
}
