-- Secrets that every gateway process of one database shares, such as the key that signs page
-- cursors: created by the first process that needs one, so that a cursor issued by one process is
-- honoured by the others and after a restart.
CREATE TABLE "GatewaySecret" (
    "name" TEXT NOT NULL,
    "secret" TEXT NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "GatewaySecret_pkey" PRIMARY KEY ("name")
);
