// Exact decimal arithmetic on the text of FOCUS numbers (BigInt units and a scale), so that the
// checker compares costs without floating point and without the gateway's own Decimal type.

export interface Exact {
  units: bigint;
  scale: number;
}

/** FOCUS NumericFormat: plain or E notation, no sign on the exponent but minus, no separators. */
export const NUMERIC_FORMAT = /^-?\d+(\.\d+)?([eE]-?\d+)?$/;

export function parseExact(text: string): Exact | null {
  const match = /^(-?)(\d+)(?:\.(\d+))?(?:[eE](-?\d+))?$/.exec(text);
  if (!match) return null;
  const [, sign, whole, fraction = "", exponent = "0"] = match;
  let units = BigInt(`${sign}${whole}${fraction}`);
  let scale = fraction.length - Number(exponent);
  if (scale < 0) {
    units *= 10n ** BigInt(-scale);
    scale = 0;
  }
  return normalize({ units, scale });
}

function normalize(value: Exact): Exact {
  let { units, scale } = value;
  while (scale > 0 && units % 10n === 0n) {
    units /= 10n;
    scale -= 1;
  }
  return { units, scale };
}

function align(a: Exact, b: Exact): [bigint, bigint, number] {
  const scale = Math.max(a.scale, b.scale);
  return [a.units * 10n ** BigInt(scale - a.scale), b.units * 10n ** BigInt(scale - b.scale), scale];
}

export const ZERO: Exact = { units: 0n, scale: 0 };

export function add(a: Exact, b: Exact): Exact {
  const [x, y, scale] = align(a, b);
  return normalize({ units: x + y, scale });
}

export function sub(a: Exact, b: Exact): Exact {
  return add(a, { units: -b.units, scale: b.scale });
}

export function mul(a: Exact, b: Exact): Exact {
  return normalize({ units: a.units * b.units, scale: a.scale + b.scale });
}

export function compare(a: Exact, b: Exact): number {
  const [x, y] = align(a, b);
  return x < y ? -1 : x > y ? 1 : 0;
}

export function abs(a: Exact): Exact {
  return { units: a.units < 0n ? -a.units : a.units, scale: a.scale };
}

/** Half a unit in the last place of a number published with `scale` decimals, times `factor`. */
export function halfUlp(scale: number, factor: Exact = { units: 1n, scale: 0 }): Exact {
  return mul(abs(factor), { units: 5n, scale: scale + 1 });
}

/** Digits before the decimal point (0 for values below 1). */
export function integerDigits(a: Exact): number {
  const whole = (a.units < 0n ? -a.units : a.units) / 10n ** BigInt(a.scale);
  return whole === 0n ? 0 : whole.toString().length;
}

export function toText(a: Exact): string {
  const negative = a.units < 0n;
  const digits = (negative ? -a.units : a.units).toString().padStart(a.scale + 1, "0");
  const text = a.scale === 0 ? digits : `${digits.slice(0, -a.scale)}.${digits.slice(-a.scale)}`;
  return negative ? `-${text}` : text;
}
