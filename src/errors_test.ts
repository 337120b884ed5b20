import assert from "node:assert/strict";
import { AgentError } from "./errors.ts";

Deno.test("AgentError.causes() walks the cause chain, this error first, once each", () => {
  const root = new TypeError("socket closed");
  const middle = new Error("request failed", { cause: root });
  const top = new AgentError("Cannot reach dockerd", { cause: middle, hints: ["Start dockerd"] });
  assert.deepEqual([...top.causes()], [top, middle, root]);
  assert.deepEqual(top.hints, ["Start dockerd"]);

  const loop = new AgentError("a");
  const other = new Error("b", { cause: loop });
  Object.defineProperty(loop, "cause", { value: other });
  assert.deepEqual([...loop.causes()], [loop, other]);
});
