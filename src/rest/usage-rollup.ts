// Usage rollup (source 002): GET /api/v1/usage, sandbox and computer vCPU-seconds, storage
// GB-hours and cost per external user, project or workspace, most expensive first.
import { Prisma } from "../db/generated/client.js";
import { ValidationError } from "../domain/errors.js";
import { usageRollup, type RollupDimension } from "../domain/usage-rollup.js";
import type { Period } from "../domain/time.js";
import { RestError, sendRestJson, type Route } from "./router.js";

const GROUPS: Record<string, RollupDimension> = {
  external_user_id: "EXTERNAL_USER",
  external_project_id: "EXTERNAL_PROJECT",
  workspace_id: "WORKSPACE",
};
const PERIODS: Record<string, Period | "custom"> = { "7d": "LAST_7_DAYS", "30d": "LAST_30_DAYS", mtd: "MONTH_TO_DATE", custom: "custom" };
const ISO_8601 = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

interface Totals {
  sandbox: Prisma.Decimal;
  computer: Prisma.Decimal;
  storage: Prisma.Decimal;
  costUsd: Prisma.Decimal;
}

export const usageRollupRoutes: Route[] = [
  {
    method: "GET",
    path: "/api/v1/usage",
    scope: "read:billing",
    async handle(ctx) {
      const groupBy = ctx.query.get("group_by") ?? "external_user_id";
      const period = ctx.query.get("period") ?? "30d";
      // The source document answers these with 422 and exactly these codes.
      if (!(groupBy in GROUPS)) throw new RestError(422, "invalid group_by", `group_by must be one of ${Object.keys(GROUPS).join(", ")}`, "group_by");
      if (!(period in PERIODS)) throw new RestError(422, "invalid period", `period must be one of ${Object.keys(PERIODS).join(", ")}`, "period");
      const window = PERIODS[period] === "custom" ? customRange(ctx.query.get("start"), ctx.query.get("end")) : { period: PERIODS[period] as Period };
      const workspace = await ctx.workspace("read:billing");
      let rollup;
      try {
        rollup = await usageRollup(ctx.db.prisma, ctx.actor, workspace, { ...window, granularity: "ALL", groupBy: [GROUPS[groupBy]!, "SKU"] });
      } catch (error) {
        if (error instanceof ValidationError && period === "custom") throw new RestError(422, "invalid_custom_range", error.message, "start");
        throw error;
      }
      const units = new Map((await ctx.db.prisma.sku.findMany({ select: { id: true, unit: true, resourceKind: true } })).map((s) => [s.id, s]));
      const groups = new Map<string | null, Totals>();
      for (const row of rollup.rows) {
        const key = row.group[GROUPS[groupBy]!] ?? null;
        const totals = groups.get(key) ?? { sandbox: new Prisma.Decimal(0), computer: new Prisma.Decimal(0), storage: new Prisma.Decimal(0), costUsd: new Prisma.Decimal(0) };
        const sku = units.get(row.group.SKU ?? "");
        if (sku?.unit === "vCPU-Seconds" && sku.resourceKind === "SANDBOX") totals.sandbox = totals.sandbox.plus(row.quantity);
        if (sku?.unit === "vCPU-Seconds" && sku.resourceKind === "COMPUTER") totals.computer = totals.computer.plus(row.quantity);
        if (sku?.unit === "GB-Hours") totals.storage = totals.storage.plus(row.quantity);
        totals.costUsd = totals.costUsd.plus(row.costUsd);
        groups.set(key, totals);
      }
      const results = [...groups]
        .map(([key, t]) => ({
          [groupBy]: key,
          sandbox_seconds: t.sandbox,
          computer_seconds: t.computer,
          storage_gb_hours: t.storage,
          credit_cents: t.costUsd.mul(100),
        }))
        .sort((a, b) => b.credit_cents.comparedTo(a.credit_cents));
      sendRestJson(ctx.res, 200, {
        period_start: rollup.window.from.toISOString().replace(".000Z", "Z"),
        period_end: rollup.window.to.toISOString().replace(".000Z", "Z"),
        results,
      });
    },
  },
];

function customRange(start: string | null, end: string | null): { from: Date; to: Date } {
  const parse = (value: string | null, name: string) => {
    const date = value && ISO_8601.test(value) ? new Date(value) : null;
    if (!date || Number.isNaN(date.getTime())) {
      throw new RestError(422, "invalid_custom_range", `${name} is required with period=custom and must be ISO 8601`, name);
    }
    return date;
  };
  return { from: parse(start, "start"), to: parse(end, "end") };
}
