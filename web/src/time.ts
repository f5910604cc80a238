// The Usage page's windows, in the workspace's time zone, from the browser's clock (luxon).
import { DateTime } from "luxon";

export const PRESETS = ["1d", "7d", "30d", "mtd", "last_month"] as const;
export type Preset = (typeof PRESETS)[number];
export const PRESET_LABELS: Record<Preset, string> = { "1d": "1d", "7d": "7d", "30d": "30d", mtd: "MTD", last_month: "Last month" };

export interface Window {
  from: Date;
  to: Date;
}

/** The preset's window ending now: 1d/7d/30d are rolling; MTD and last month are calendar months of the zone. */
export function presetWindow(preset: Preset, timeZone: string, now = DateTime.now()): Window {
  const local = now.setZone(timeZone);
  switch (preset) {
    case "1d": return { from: now.minus({ days: 1 }).toJSDate(), to: now.toJSDate() };
    case "7d": return { from: now.minus({ days: 7 }).toJSDate(), to: now.toJSDate() };
    case "30d": return { from: now.minus({ days: 30 }).toJSDate(), to: now.toJSDate() };
    case "mtd": return { from: local.startOf("month").toJSDate(), to: now.toJSDate() };
    case "last_month": return { from: local.startOf("month").minus({ months: 1 }).toJSDate(), to: local.startOf("month").toJSDate() };
  }
}

/** A custom range of whole local days, `to` inclusive, as the date inputs give them. */
export function customWindow(fromDate: string, toDate: string, timeZone: string): Window | null {
  const from = DateTime.fromISO(fromDate, { zone: timeZone });
  const to = DateTime.fromISO(toDate, { zone: timeZone }).plus({ days: 1 });
  return from.isValid && to.isValid && from < to ? { from: from.toJSDate(), to: to.toJSDate() } : null;
}

export function formatInstant(iso: string, timeZone: string): string {
  return DateTime.fromISO(iso).setZone(timeZone).toFormat("yyyy-LL-dd HH:mm");
}

/** A decimal string as dollars, digit for digit (money is never a float): at least cents, no trailing zeros past them. */
export function formatUsd(value: string): string {
  const negative = value.startsWith("-");
  const [whole = "0", fraction = ""] = value.replace(/^-/, "").split(".");
  const digits = fraction.replace(/0+$/, "");
  return `${negative ? "-" : ""}$${whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",")}.${digits.length > 2 ? digits : digits.padEnd(2, "0")}`;
}

/** A decimal string with thousands separators, digit for digit. */
export function formatDecimal(value: string): string {
  const [whole = "0", fraction] = value.split(".");
  return `${whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",")}${fraction ? `.${fraction}` : ""}`;
}
