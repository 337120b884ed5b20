/**
 * Every schema step of the agent's state, in order. A module that owns
 * tables adds its migration file here; a released migration is never edited.
 *
 * @module
 */
import { migration0001Core } from "./0001_core.ts";
import { migration0002Chain } from "./0002_chain.ts";
import { migration0003Bench } from "./0003_bench.ts";
import { migration0004Plans } from "./0004_plans.ts";
import { migration0005Index } from "./0005_index.ts";
import { migration0006Core } from "./0006_core.ts";
import { migration0007Dash } from "./0007_dash.ts";
import { migration0008Workloads } from "./0008_workloads.ts";
import { migration0009TaskFaults } from "./0009_task_faults.ts";
import type { Migration } from "./types.ts";

export type { Migration } from "./types.ts";

/** All migrations, in version order. */
export const MIGRATIONS: readonly Migration[] = [
  migration0001Core,
  migration0002Chain,
  migration0003Bench,
  migration0004Plans,
  migration0005Index,
  migration0006Core,
  migration0007Dash,
  migration0008Workloads,
  migration0009TaskFaults,
];
