-- Each execution keeps the running cost of its calendar month (in its workspace's zone) up to and
-- including it, in (startedAt, id) order: the dashboard read it per page by summing the month's
-- earlier days and the day's earlier executions, 1.2-2.0 ms of PostgreSQL a request. Recording an
-- execution writes it, and adds the new cost to the month's later executions when one arrives late.
ALTER TABLE "Execution" ADD COLUMN "monthToDateUsd" DECIMAL(28,8);

UPDATE "Execution" e SET "monthToDateUsd" = r.running
FROM (
  SELECT x.id, SUM(x."costUsd") OVER (
    PARTITION BY x."workspaceId", date_trunc('month', x."startedAt" AT TIME ZONE w."timeZone")
    ORDER BY x."startedAt", x.id) AS running
  FROM "Execution" x JOIN "Workspace" w ON w.id = x."workspaceId"
) r
WHERE e.id = r.id;

ALTER TABLE "Execution" ALTER COLUMN "monthToDateUsd" SET NOT NULL;
