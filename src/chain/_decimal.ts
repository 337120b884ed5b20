/**
 * Exact decimal text <-> bigint helpers shared by the money functions.
 * Private to src/chain.
 */

const DECIMAL = /^(\d+)(?:\.(\d+))?$/;

/** A parsed decimal: value = digits / 10^scale. */
export type Decimal = { digits: bigint; scale: number };

/** Parses "12.345" exactly; undefined when the text is not a plain non-negative decimal. */
export function parseDecimal(text: string): Decimal | undefined {
  const m = DECIMAL.exec(text.trim());
  if (m === null) return undefined;
  const int = m[1] ?? "0";
  const frac = m[2] ?? "";
  return { digits: BigInt(int + frac), scale: frac.length };
}

/** Rounding of a division that does not come out even. */
export type Rounding = "floor" | "ceil" | "nearest";

/** Divides two non-negative bigints with the given rounding ("nearest": halves go up). */
export function divide(n: bigint, d: bigint, rounding: Rounding): bigint {
  const q = n / d;
  const r = n % d;
  if (r === 0n) return q;
  if (rounding === "ceil") return q + 1n;
  if (rounding === "nearest") return r * 2n >= d ? q + 1n : q;
  return q;
}

/**
 * Writes `value / 10^decimals` as decimal text, rounded to at most
 * `maxFraction` fraction digits (halves go up), trailing zeros trimmed.
 */
export function formatFixed(value: bigint, decimals: number, maxFraction: number): string {
  const negative = value < 0n;
  let v = negative ? -value : value;
  const keep = Math.min(decimals, maxFraction);
  v = divide(v, 10n ** BigInt(decimals - keep), "nearest");
  const base = 10n ** BigInt(keep);
  const int = v / base;
  let frac = keep === 0 ? "" : (v % base).toString().padStart(keep, "0");
  frac = frac.replace(/0+$/, "");
  return `${negative ? "-" : ""}${int}${frac === "" ? "" : `.${frac}`}`;
}
