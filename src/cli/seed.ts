import type { Database } from "../db/client.js";
import { seedBulk } from "../seed/bulk.js";
import { systemClock } from "../domain/clock.js";
import { demoEnd, isDatabaseEmpty, seedDemo } from "../seed/demo.js";
import { UsageError, parseCommandArgs } from "./args.js";

export async function seedCommand(db: Database, args: string[]): Promise<number> {
  const { values } = parseCommandArgs(args, {
    workspaces: { type: "string" },
    days: { type: "string" },
    events: { type: "string" },
  });
  if (values.workspaces === undefined && values.days === undefined && values.events === undefined) {
    if (!(await isDatabaseEmpty(db))) {
      console.error("The database already has data; the demo is only loaded into an empty database.");
      return 1;
    }
    const demo = await seedDemo(db, { now: demoEnd(systemClock.now()) });
    console.error(`Demo data loaded. Admin API key of acme-prod (shown once):`);
    console.log(demo.demoApiKey);
    return 0;
  }
  const workspaces = positiveInt("workspaces", values.workspaces, 1, 1_000);
  const days = positiveInt("days", values.days, 1, 3_650);
  const events = positiveInt("events", values.events, 1, 100_000_000);
  const started = performance.now();
  await seedBulk(db, { workspaces, days, events, now: systemClock.now() }, (line) => console.error(line));
  const seconds = (performance.now() - started) / 1000;
  console.error(`Seeded ${events} usage records in ${seconds.toFixed(1)} s (${Math.round(events / seconds)} records/s)`);
  return 0;
}

function positiveInt(name: string, value: string | undefined, min: number, max: number): number {
  const parsed = Number(value);
  if (value === undefined || !Number.isInteger(parsed) || parsed < min || parsed > max) {
    throw new UsageError(`--${name} must be an integer from ${min} to ${max}`);
  }
  return parsed;
}
