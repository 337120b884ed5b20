/**
 * Zod pieces shared by the parsers of this folder: exact unsigned integers
 * (bigint, decimal string or safe integer number), addresses, and the
 * conversion of a zod issue into an {@linkcode InvalidOrderError}.
 *
 * @module
 */
import { z } from "zod";
import { issueProblems } from "../internal/mod.ts";
import { InvalidOrderError } from "./errors.ts";
import type { Address, Bytes32 } from "./types.ts";

const DECIMAL = /^(0|[1-9][0-9]*)$/;
const NEGATIVE = /^-[0-9]+$/;
const ADDRESS = /^0x[0-9a-fA-F]{40}$/;
const BYTES32 = /^0x[0-9a-fA-F]{64}$/;

/** An exact unsigned integer in [0, max], given as bigint, decimal string or safe integer. */
export function uintSchema(max: bigint, maxDetail: string): z.ZodType<bigint, unknown> {
  return z.unknown().transform((v, ctx): bigint => {
    let n: bigint;
    if (typeof v === "bigint") {
      n = v;
    } else if (typeof v === "number") {
      if (!Number.isInteger(v)) {
        ctx.addIssue({ code: "custom", message: "must be an integer" });
        return z.NEVER;
      }
      if (!Number.isSafeInteger(v)) {
        ctx.addIssue({
          code: "custom",
          message: "must be given as a decimal string: the number is not exact",
        });
        return z.NEVER;
      }
      n = BigInt(v);
    } else if (typeof v === "string") {
      if (NEGATIVE.test(v)) {
        ctx.addIssue({ code: "custom", message: "must not be negative" });
        return z.NEVER;
      }
      if (!DECIMAL.test(v)) {
        ctx.addIssue({ code: "custom", message: "must be a decimal integer string" });
        return z.NEVER;
      }
      n = BigInt(v);
    } else {
      ctx.addIssue({ code: "custom", message: "must be a decimal integer string" });
      return z.NEVER;
    }
    if (n < 0n) {
      ctx.addIssue({ code: "custom", message: "must not be negative" });
      return z.NEVER;
    }
    if (n > max) {
      ctx.addIssue({ code: "custom", message: maxDetail });
      return z.NEVER;
    }
    return n;
  });
}

/** A 20-byte hex address, normalized to lower case. */
export const addressSchema: z.ZodType<Address, unknown> = z
  .string({ error: "must be a 20-byte hex address" })
  .regex(ADDRESS, { error: "must be a 20-byte hex address (0x and 40 hex digits)" })
  .transform((s) => s.toLowerCase() as Address);

/** A 32-byte hex value, normalized to lower case. */
export const bytes32Schema: z.ZodType<Bytes32, unknown> = z
  .string({ error: "must be a 32-byte hex value" })
  .regex(BYTES32, { error: "must be a 32-byte hex value (0x and 64 hex digits)" })
  .transform((s) => s.toLowerCase() as Bytes32);

/** An identity level 0-3, as number or decimal string. */
export const levelSchema: z.ZodType<0 | 1 | 2 | 3, unknown> = uintSchema(
  3n,
  "must be an identity level from 0 to 3",
).transform((n) => Number(n) as 0 | 1 | 2 | 3);

/** Parses `input` with `schema`, turning the first issue into an {@linkcode InvalidOrderError}. */
export function parseWith<T>(
  schema: z.ZodType<T, unknown>,
  input: unknown,
  what: string,
): T {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const problem = issueProblems(result.error.issues, input)[0];
  throw new InvalidOrderError({
    what,
    field: problem?.field ?? "(top level)",
    value: problem === undefined ? input : problem.value,
    detail: problem?.message ?? "is invalid",
  });
}
