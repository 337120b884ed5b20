import assert from "node:assert/strict";
import { checkImagePolicy } from "./check_image_policy.ts";
import { parseImagePolicy } from "./image_policy.ts";
import { DockerValidationError, ImagePolicyError } from "./errors.ts";

const D1 = "sha256:" + "1".repeat(64);
const D2 = "sha256:" + "2".repeat(64);

Deno.test("checkImagePolicy() allows a listed digest whatever the name", () => {
  const p = parseImagePolicy({ allowDigests: [D1] });
  assert.deepEqual(checkImagePolicy(p, { reference: "evil.example/x:1", digest: D1 }), {
    allowedBy: "digest",
    rule: D1,
  });
});

Deno.test("checkImagePolicy() refuses a tag that moved to another digest", () => {
  const p = parseImagePolicy({ allowDigests: [D1] });
  assert.throws(
    () => checkImagePolicy(p, { reference: "127.0.0.1:5000/sonm/app:1", digest: D2 }),
    (e: unknown) =>
      e instanceof ImagePolicyError && e.digest === D2 &&
      e.reference === "127.0.0.1:5000/sonm/app:1" &&
      /refused by the rig's image policy/.test(e.message),
  );
});

Deno.test("checkImagePolicy() matches patterns by segment (*) and across segments (**)", () => {
  const p = parseImagePolicy({ allowPatterns: ["127.0.0.1:5000/sonm/*", "docker.io/library/**"] });
  assert.equal(
    checkImagePolicy(p, { reference: "127.0.0.1:5000/sonm/app", digest: D1 }).rule,
    "127.0.0.1:5000/sonm/*",
  );
  assert.equal(
    checkImagePolicy(p, { reference: "busybox:1", digest: D1 }).rule,
    "docker.io/library/**",
  );
  for (
    const reference of [
      "127.0.0.1:5000/sonm/a/b",
      "127.0.0.1:5001/sonm/app",
      "127.0.0.1:5000/sonmx/app",
    ]
  ) {
    assert.throws(
      () => checkImagePolicy(p, { reference, digest: D1 }),
      ImagePolicyError,
      reference,
    );
  }
});

Deno.test("checkImagePolicy() refuses an image without a registry digest", () => {
  const p = parseImagePolicy({ allowPatterns: ["**"] });
  assert.throws(
    () => checkImagePolicy(p, { reference: "local/app", digest: undefined }),
    /no registry digest/,
  );
});

Deno.test("parseImagePolicy() names the bad field and value", () => {
  assert.throws(() => parseImagePolicy({ allowDigests: ["sha256:xyz"] }), (e: unknown) => {
    assert.ok(e instanceof DockerValidationError);
    assert.equal(e.field, "allowDigests[0]");
    assert.equal(e.value, "sha256:xyz");
    assert.equal(
      e.message,
      'Cannot accept image policy: allowDigests[0] must be "sha256:" and 64 hex digits: current value is "sha256:xyz"',
    );
    return true;
  });
});
