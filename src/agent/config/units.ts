// Parsers for the human units a rig owner writes in YAML: sizes, durations,
// decimal money. Pure; used by the config schema.

const SIZE_UNITS: Record<string, number> = {
  "": 1,
  B: 1,
  KB: 1e3,
  MB: 1e6,
  GB: 1e9,
  TB: 1e12,
  KIB: 2 ** 10,
  MIB: 2 ** 20,
  GIB: 2 ** 30,
  TIB: 2 ** 40,
};

/** Parses `512MiB`, `4 GB`, `1073741824` into bytes; undefined when malformed. */
export function parseSize(input: string | number): number | undefined {
  if (typeof input === "number") {
    return Number.isSafeInteger(input) && input >= 0 ? input : undefined;
  }
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(input);
  if (!match) return undefined;
  const factor = SIZE_UNITS[(match[2] ?? "").toUpperCase()];
  if (factor === undefined) return undefined;
  const bytes = Math.round(Number(match[1]) * factor);
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}

const DURATION_UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

/** Parses `90s`, `30m`, `8h`, `2d`, `1w`, `3600` into whole seconds; undefined when malformed. */
export function parseDurationSeconds(input: string | number): number | undefined {
  if (typeof input === "number") {
    return Number.isSafeInteger(input) && input >= 0 ? input : undefined;
  }
  const match = /^\s*(\d+)\s*([smhdw]?)\s*$/.exec(input);
  if (!match) return undefined;
  const seconds = Number(match[1]) * (DURATION_UNITS[match[2] || "s"] ?? 1);
  return Number.isSafeInteger(seconds) ? seconds : undefined;
}

/** A non-negative decimal with at most 18 fractional digits, as written by a person. */
export const DECIMAL_PATTERN = /^\d+(\.\d{1,18})?$/;
