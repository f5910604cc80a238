// Integers and decimals from clients. Integers in query strings are decimal digits only ("1e1",
// "0x10" and " 5" are refused, not read as 10, 16 and 5); decimals must fit the column they go to.
import { z } from "zod";
import { Prisma } from "../../db/generated/client.js";
import { problemCheck } from "./text.js";

/** An integer query parameter, written in decimal digits, within [min, max]. */
export function integerParam(min: number, max: number) {
  const range = `must be an integer from ${min} to ${max}`;
  return z
    .string()
    .regex(/^\d{1,15}$/, `${range}, written in decimal digits`)
    .transform(Number)
    .pipe(z.number().min(min, range).max(max, range))
    // Documented as what it is, an integer, rather than as the text it travels as.
    .meta({
      override: ({ jsonSchema }) => {
        delete jsonSchema.pattern;
        Object.assign(jsonSchema, { type: "integer", minimum: min, maximum: max });
      },
    });
}

export interface DecimalRule {
  /** Total significant digits the column holds (PostgreSQL numeric precision). */
  precision: number;
  /** Digits after the point. */
  scale: number;
  sign?: "positive" | "non-negative" | "non-zero" | "any";
}

const DECIMAL_TEXT = /^(-?)(\d+)(?:\.(\d+))?$/;

/** What is wrong with a decimal's text for a column, or null. */
export function decimalProblem(text: string, rule: DecimalRule): string | null {
  const match = DECIMAL_TEXT.exec(text);
  if (!match) return "must be a decimal number such as 12.5";
  const [, minus, whole, fraction = ""] = match;
  const integerDigits = whole!.replace(/^0+(?=\d)/, "").replace(/^0$/, "").length;
  const maxInteger = rule.precision - rule.scale;
  if (fraction.length > rule.scale) return `must have at most ${rule.scale} decimal places`;
  if (integerDigits > maxInteger) return `must be less than 10^${maxInteger}`;
  const zero = /^0*$/.test(whole! + fraction);
  const sign = rule.sign ?? "any";
  if (sign === "positive" && (minus || zero)) return "must be greater than 0";
  if (sign === "non-negative" && minus && !zero) return "must not be negative";
  if (sign === "non-zero" && zero) return "must not be 0";
  return null;
}

/** A decimal given as a string (or a JSON number), kept as exact text; it must fit the column. */
export function decimal(rule: DecimalRule) {
  return z
    .union([z.string(), z.number()])
    .transform((value) => (typeof value === "number" ? String(value) : value.trim()))
    .check(problemCheck((value: string) => decimalProblem(value, rule)));
}

/** A count from a JSON body: a whole number within a PostgreSQL int4 unless a smaller max is given. */
export const count = (max = 2_147_483_647) => z.number().int("must be a whole number").min(0, "must not be negative").max(max, `must be at most ${max}`);

/** A decimal as an integer and a power of ten: value = units ÷ 10^scale, from its exact text. */
function scaled(value: Prisma.Decimal): { units: bigint; scale: number } {
  const text = value.toFixed();
  const dot = text.indexOf(".");
  return dot === -1 ? { units: BigInt(text), scale: 0 } : { units: BigInt(text.slice(0, dot) + text.slice(dot + 1)), scale: text.length - dot - 1 };
}

/**
 * a × b ÷ c rounded once, half up (ties away from zero), to `places` decimals. Prisma's decimals
 * keep 20 significant digits, so computing this with them rounds twice and can miss the last
 * place. In integers rather than in decimals of 80 digits: exact whatever the operands, and a
 * fraction of the time (the lots' draw-down calls it for every debit of an ingested batch).
 */
export function mulDiv(a: Prisma.Decimal, b: Prisma.Decimal, c: Prisma.Decimal, places: number): Prisma.Decimal {
  const [x, y, z] = [scaled(a), scaled(b), scaled(c)];
  if (z.units === 0n) throw new RangeError("mulDiv: division by zero");
  // a × b ÷ c × 10^places = (x × y × 10^(z.scale + places)) ÷ (z × 10^(x.scale + y.scale))
  const numerator = x.units * y.units * 10n ** BigInt(z.scale + places);
  const denominator = z.units * 10n ** BigInt(x.scale + y.scale);
  const negative = numerator < 0n !== denominator < 0n;
  const [n, d] = [numerator < 0n ? -numerator : numerator, denominator < 0n ? -denominator : denominator];
  const rounded = n / d + (2n * (n % d) >= d ? 1n : 0n);
  const digits = rounded.toString().padStart(places + 1, "0");
  const text = places === 0 ? digits : `${digits.slice(0, -places)}.${digits.slice(-places)}`;
  return new Prisma.Decimal(negative && rounded !== 0n ? `-${text}` : text);
}

/** a ÷ c rounded once, half up, to `places` decimals. */
export const quotient = (a: Prisma.Decimal, c: Prisma.Decimal, places: number) => mulDiv(a, new Prisma.Decimal(1), c, places);
