import assert from "node:assert/strict";
import { parseImageReference } from "./_reference.ts";
import { DockerValidationError } from "./errors.ts";

const D = "sha256:" + "ab".repeat(32);

Deno.test("parseImageReference() normalizes Docker Hub names and keeps tag and digest", () => {
  assert.deepEqual(parseImageReference("busybox"), {
    registry: "docker.io",
    path: "library/busybox",
    fullName: "docker.io/library/busybox",
    name: "busybox",
    tag: undefined,
    digest: undefined,
  });
  const r = parseImageReference(`127.0.0.1:5000/sonm/app:1.2@${D}`);
  assert.equal(r.registry, "127.0.0.1:5000");
  assert.equal(r.path, "sonm/app");
  assert.equal(r.name, "127.0.0.1:5000/sonm/app");
  assert.equal(r.tag, "1.2");
  assert.equal(r.digest, D);
  assert.equal(parseImageReference("localhost/x").registry, "localhost");
  assert.equal(parseImageReference("a/b").fullName, "docker.io/a/b");
});

Deno.test("parseImageReference() refuses bad references naming the field and value", () => {
  for (const bad of ["", "UPPER/case", "x@sha256:12", "a:b:c/d", "a/b:c:d", "x:-bad"]) {
    assert.throws(() => parseImageReference(bad, "spec.image"), (e: unknown) => {
      assert.ok(e instanceof DockerValidationError);
      assert.equal(e.field, "spec.image");
      assert.equal(e.value, bad);
      assert.match(e.message, /^Cannot accept image reference: spec\.image /);
      return true;
    });
  }
});
