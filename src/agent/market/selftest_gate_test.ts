import assert from "node:assert/strict";
import { createLogger, type SelftestResult } from "../base/mod.ts";
import { blockedPlans, createSelftestGate, gateChanges } from "./selftest_gate.ts";

const r = (
  check: string,
  status: SelftestResult["status"],
  more: Partial<SelftestResult> = {},
) => ({
  check,
  status,
  detail: `${check} ${status}`,
  fix: `fix ${check}`,
  gates: true,
  ms: 1,
  ...more,
});

Deno.test("blockedPlans() withholds every plan for a rig-wide failure, one plan for its own", () => {
  const plans = ["cpu", "gpu", "disk"];
  assert.deepEqual([...blockedPlans(plans, [r("docker", "failed")]).keys()], plans);
  const own = blockedPlans(plans, [
    r("docker", "ok"),
    r("gpu", "failed", { plan: "gpu" }),
    r("disk", "failed", { plan: "disk" }),
    r("container", "ok", { plan: "cpu" }),
  ]);
  assert.deepEqual([...own].map(([p, b]) => [p, b.check]), [["gpu", "gpu"], ["disk", "disk"]]);
});

Deno.test("blockedPlans() ignores warnings, skips and checks that gate nothing", () => {
  const blocked = blockedPlans(["a"], [
    r("live-restore", "warn"),
    r("gpu", "skipped"),
    r("clock", "failed", { gates: false }),
    r("container", "failed", { plan: "another" }),
  ]);
  assert.equal(blocked.size, 0);
});

Deno.test("gateChanges() is quiet while a plan stays withheld, whatever check withholds it", () => {
  const before = new Map([["a", { check: "container", detail: "", fix: undefined }]]);
  const after = new Map([
    ["a", { check: "docker", detail: "gone", fix: "start it" }],
    ["b", { check: "docker", detail: "gone", fix: "start it" }],
  ]);
  assert.deepEqual(gateChanges(before, after), [
    { kind: "withheld", check: "docker", plans: ["b"], detail: "gone", fix: "start it" },
  ]);
  assert.deepEqual(gateChanges(after, new Map()), [{
    kind: "offered",
    check: "docker",
    plans: ["a", "b"],
  }]);
});

Deno.test("createSelftestGate() logs one error per change of state and backs retries off", () => {
  const lines: { level: string; msg: string }[] = [];
  const logger = createLogger({
    level: "debug",
    format: "json",
    write: (line) => lines.push(JSON.parse(line)),
  });
  const gate = createSelftestGate({ logger, random: () => 0 }, {
    schedule: { periodMs: 60_000, retry: { baseMs: 1000, factor: 2, capMs: 8000, jitter: 0 } },
  });
  const down = [r("docker", "failed")];
  const delays: number[] = [];
  let now = 0;
  for (let i = 0; i < 6; i++) {
    const { nextRunAt } = gate.update(["a", "b"], down, now);
    delays.push(nextRunAt - now);
    now = nextRunAt;
  }
  assert.deepEqual(delays, [1000, 2000, 4000, 8000, 8000, 8000]);
  const errors = lines.filter((l) => l.level === "error");
  assert.equal(errors.length, 1, "one error line for six failed runs");
  assert.match(errors[0]!.msg, /"docker" failed/);
  assert.deepEqual(
    [gate.offered("a"), gate.offered("b"), gate.blocked().get("a")?.fix],
    [false, false, "fix docker"],
  );
  const back = gate.update(["a", "b"], [r("docker", "ok")], now);
  assert.deepEqual(back, { changed: true, nextRunAt: now + 60_000 });
  assert.equal(lines.filter((l) => l.level === "info").length, 1);
  assert.equal(gate.offered("a"), true);
  // a new plan that passes is no change worth a line
  assert.equal(gate.update(["a", "b", "c"], [], now).changed, false);
});
