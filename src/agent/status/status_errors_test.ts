import assert from "node:assert/strict";
import { createLogger } from "../base/mod.ts";
import { createErrorLog, openState } from "../state/mod.ts";
import { readStatusSnapshot } from "./status_snapshot.ts";

Deno.test("the status lists repeated warnings once with their count, and drops a problem once it is resolved", () => {
  const state = openState({ path: ":memory:" });
  try {
    let clock = 1_000;
    const errors = createErrorLog(state.db, { now: () => clock++ });
    const log = errors.wrap(createLogger({ write: () => {} }), "agent");
    const market = log.child("market");
    const docker = log.child("tasks");
    for (let i = 0; i < 28; i++) docker.warn("the deal -> task step failed; retrying", { n: i });
    market.warn("indexer poll failed", { error: "HTTP request failed" });
    market.error("cannot bill deal", { dealId: "7" });

    const listed = () =>
      readStatusSnapshot(state.db).errors.map((e) => [e.component, e.message, e.count]);
    assert.deepEqual(listed(), [
      ["agent:market", "cannot bill deal", 1],
      ["agent:market", "indexer poll failed", 1],
      ["agent:tasks", "the deal -> task step failed; retrying", 28],
    ]);
    const group = readStatusSnapshot(state.db).errors[2]!;
    assert.deepEqual([group.firstAt, group.at, group.fields.n], [1_000, 1_027, 27]);

    // the step works again: its warnings are over; a same message of another component stays
    docker.info("the deal -> task step works again", {
      resolves: "the deal -> task step failed; retrying",
    });
    market.info("unrelated", { resolves: "the deal -> task step failed; retrying" });
    assert.deepEqual(listed(), [
      ["agent:market", "cannot bill deal", 1],
      ["agent:market", "indexer poll failed", 1],
    ]);
    // the counters for /metrics still count every line
    assert.equal(errors.counters().warn, 29);
  } finally {
    state.close();
  }
});
