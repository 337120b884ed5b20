import assert from "node:assert/strict";
import { imageRuleProblem } from "./image_rule.ts";
import { parseImagePolicy } from "./image_policy.ts";

Deno.test("imageRuleProblem() accepts the entries that can match an image", () => {
  for (
    const entry of [
      "sha256:" + "a".repeat(64),
      "127.0.0.1:5000/sonm/*",
      "localhost:5000/a/**",
      "docker.io/library/busybox",
      "docker.io/library/**",
      "ghcr.io/org/*-worker",
      "*.example.com/team/*",
      "**",
    ]
  ) {
    assert.equal(imageRuleProblem(entry), undefined, entry);
  }
});

Deno.test("imageRuleProblem() refuses entries that can never match, saying why", () => {
  const cases: [string, RegExp][] = [
    ["sha256:xyz", /64 lowercase hex digits/],
    ["sha256:" + "A".repeat(64), /64 lowercase hex digits/],
    ["UPPER/*", /must start with a registry .*"UPPER" is not one/],
    ["busybox", /must start with a registry/],
    ["sonm/*", /must start with a registry/],
    ["docker.io/busybox", /docker\.io\/library\/busybox/],
    ["127.0.0.1:5000/sonm/app:1", /not tags: drop ":1"/],
    ["127.0.0.1:5000/sonm/app@sha256:" + "1".repeat(64), /not digests/],
    ["127.0.0.1:5000/Sonm/*", /invalid path component "Sonm"/],
    ["Registry.example/a", /invalid registry "Registry\.example"/],
    ["", /1 to 512 characters/],
  ];
  for (const [entry, problem] of cases) assert.match(imageRuleProblem(entry) ?? "", problem, entry);
});

Deno.test("parseImagePolicy() refuses a pattern that can never match, naming the entry", () => {
  assert.throws(
    () => parseImagePolicy({ allowPatterns: ["UPPER/*"] }),
    /allowPatterns\[0\] must start with a registry .*: current value is "UPPER\/\*"/,
  );
});
