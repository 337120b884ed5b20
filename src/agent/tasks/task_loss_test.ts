import assert from "node:assert/strict";
import { classifyTaskEnd, decideRestart } from "./task_loss.ts";

Deno.test("classifyTaskEnd() leaves the consumer's own ends to the consumer", () => {
  assert.deepEqual(classifyTaskEnd({ containerGone: false, exitCode: 0 }), {
    by: "consumer",
    state: "exited",
    exitCode: 0,
    message: "exited with code 0",
  });
  const oom = classifyTaskEnd({ containerGone: false, exitCode: 137, oomKilled: true });
  assert.deepEqual([oom.by, oom.by === "consumer" && oom.state], ["consumer", "oom-killed"]);
});

Deno.test("classifyTaskEnd() blames the rig for a vanished container, an outside kill, a daemon restart", () => {
  assert.match(
    (classifyTaskEnd({ containerGone: true }) as { reason: string }).reason,
    /disappeared/,
  );
  // a task that handles SIGTERM and exits 0 is still the rig's loss when someone else sent it
  const killed = classifyTaskEnd({ containerGone: false, exitCode: 0, killedFromOutside: "15" });
  assert.deepEqual(killed.by, "rig");
  const outage = [{ from: 100_000, to: 160_000 }];
  for (const at of [75_000, 120_000, 160_000]) {
    const end = classifyTaskEnd({
      containerGone: false,
      exitCode: 0,
      finishedAt: at,
      daemonOutages: outage,
    });
    assert.equal(end.by, "rig", `finished at ${at}`);
  }
  const before = classifyTaskEnd({
    containerGone: false,
    exitCode: 0,
    finishedAt: 60_000,
    daemonOutages: outage,
  });
  assert.equal(before.by, "consumer", "long before the daemon went away: its own exit");
  assert.equal(
    classifyTaskEnd({
      containerGone: false,
      exitCode: 1,
      finishedAt: 200_000,
      daemonOutages: [{ from: 190_000 }],
    }).by,
    "rig",
    "while the daemon is still down",
  );
  for (const code of [137, 143]) {
    assert.equal(
      classifyTaskEnd({ containerGone: false, exitCode: code }).by,
      "rig",
      `exit ${code}`,
    );
  }
});

Deno.test("decideRestart() restarts within the budget and gives up past it", () => {
  const policy = { max: 2, windowMs: 60_000 };
  assert.deepEqual(
    [0, 1, 2, 3].map((n) => decideRestart({ restartsInWindow: n, policy })),
    ["restart", "restart", "give-up", "give-up"],
  );
  assert.equal(decideRestart({ restartsInWindow: 0, policy: { max: 0, windowMs: 1 } }), "give-up");
});
