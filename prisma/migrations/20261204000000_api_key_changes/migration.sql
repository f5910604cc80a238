-- Each gateway process caches the API keys it has authenticated. Every change that could make a
-- cached key wrong is announced on the channel "gateway_api_keys", whoever makes it (the API, the
-- command line, an operator's SQL): a key revoked, re-scoped, re-dated, moved or deleted (the
-- payload is its id), and workspaces added to or taken from organizations, or either table
-- truncated (payload "*": everything). Last-use updates are not announced.
CREATE FUNCTION "gateway_notify_api_key_change"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('gateway_api_keys', CASE WHEN TG_TABLE_NAME = 'ApiKey' AND TG_LEVEL = 'ROW' THEN OLD."id"::text ELSE '*' END);
  RETURN NULL;
END
$$;

CREATE TRIGGER "ApiKey_notify_change"
  AFTER UPDATE OF "revokedAt", "expiresAt", "scopes", "workspaceId", "organizationId", "secretHash" OR DELETE ON "ApiKey"
  FOR EACH ROW EXECUTE FUNCTION "gateway_notify_api_key_change"();

CREATE TRIGGER "ApiKey_notify_truncate"
  AFTER TRUNCATE ON "ApiKey"
  FOR EACH STATEMENT EXECUTE FUNCTION "gateway_notify_api_key_change"();

CREATE TRIGGER "Workspace_notify_change"
  AFTER INSERT OR DELETE OR UPDATE OF "organizationId" OR TRUNCATE ON "Workspace"
  FOR EACH STATEMENT EXECUTE FUNCTION "gateway_notify_api_key_change"();
