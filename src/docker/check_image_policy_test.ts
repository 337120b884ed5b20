import assert from "node:assert/strict";
import { checkImagePolicy, precheckImage } from "./check_image_policy.ts";
import { checkRegistryHost } from "./check_registry_host.ts";
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

Deno.test("checkImagePolicy() allows a local image by its id, with or without a registry digest", () => {
  const p = parseImagePolicy({ allowDigests: [D1] });
  assert.deepEqual(checkImagePolicy(p, { reference: D1, digest: undefined, imageId: D1 }), {
    allowedBy: "image-id",
    rule: D1,
  });
  assert.equal(
    checkImagePolicy(p, { reference: "job:1", digest: undefined, imageId: D1 }).allowedBy,
    "image-id",
  );
  assert.throws(
    () => checkImagePolicy(p, { reference: "job:1", digest: undefined, imageId: D2 }),
    /has no registry digest .* and its id "sha256:2{64}" is not in the allowlist/,
  );
  assert.throws(
    () => checkImagePolicy(p, { reference: D2, digest: undefined, imageId: D2 }),
    /this image id is not in the allowlist/,
  );
});

Deno.test("precheckImage() refuses before any call what no entry could allow", () => {
  const none = parseImagePolicy({});
  for (const reference of ["localhost:5000/a/b/c:1", "busybox", D1]) {
    assert.throws(
      () => precheckImage(none, reference),
      (e: unknown) => e instanceof ImagePolicyError && /allows no image/.test(e.message),
      reference,
    );
  }
  const patterns = parseImagePolicy({ allowPatterns: ["127.0.0.1:5000/sonm/*"] });
  assert.equal(precheckImage(patterns, "127.0.0.1:5000/sonm/app:1").kind, "registry");
  assert.throws(
    () => precheckImage(patterns, "localhost:5000/a/b/c:1"),
    /no entry of the allowlist matches "localhost:5000\/a\/b\/c"/,
  );
  const ids = parseImagePolicy({ allowDigests: [D1] });
  assert.deepEqual(precheckImage(ids, D1), { kind: "image-id", imageId: D1 });
  assert.throws(() => precheckImage(ids, D2), /this image id is not in the allowlist/);
  // a name without a digest may still turn out to be the allowed image (local id, registry digest)
  assert.equal(precheckImage(ids, "job:1").kind, "registry");
  assert.throws(() => precheckImage(ids, `job@${D2}`), /or its digest/);
});

Deno.test("precheckImage() refuses an invalid name as a validation error quoting it once", () => {
  const p = parseImagePolicy({ allowPatterns: ["**"] });
  for (const reference of ["../../etc/passwd", "UPPER/x", "a b", "x:" + "y".repeat(200)]) {
    assert.throws(
      () => precheckImage(p, reference),
      (e: unknown) =>
        e instanceof DockerValidationError && e.field === "image" &&
        e.message.split(JSON.stringify(reference.slice(0, 40))).length <= 2,
      reference,
    );
  }
});

Deno.test("checkRegistryHost() refuses a registry on the rig's network unless a pattern names it", async () => {
  const everything = parseImagePolicy({ allowPatterns: ["**"] });
  const lookupHost = (name: string) =>
    Promise.resolve(
      name === "inside.test"
        ? ["203.0.113.9", "10.1.2.3"]
        : name === "outside.test"
        ? ["203.0.113.9"]
        : [],
    );
  for (
    const reference of [
      "localhost:5000/a/b/c:1",
      "127.0.0.1:5000/x",
      "169.254.169.254/latest/meta",
      "10.0.0.7:5000/x",
      "inside.test:5000/x",
      "nowhere.test/x",
    ]
  ) {
    await assert.rejects(
      () => checkRegistryHost(everything, { reference, lookupHost }),
      (e: unknown) => e instanceof ImagePolicyError && /the allowlist must name it/.test(e.message),
      reference,
    );
  }
  await checkRegistryHost(everything, { reference: "outside.test/x", lookupHost });
  await checkRegistryHost(everything, { reference: "203.0.113.9:443/x", lookupHost });
  const named = parseImagePolicy({ allowPatterns: ["inside.test:5000/x", "localhost:5000/a/**"] });
  await checkRegistryHost(named, { reference: "inside.test:5000/x", lookupHost });
  await checkRegistryHost(named, { reference: "localhost:5000/a/b/c:1", lookupHost });
  await assert.rejects(
    () => checkRegistryHost(named, { reference: "localhost:5001/a/b", lookupHost }),
    /"localhost:5001" is on the rig's own network/,
  );
});

Deno.test("checkRegistryHost() resolves names as the system does: this machine's own name is internal", async () => {
  const everything = parseImagePolicy({ allowPatterns: ["**"] });
  // /etc/hosts maps the machine's name to a loopback or private address
  await assert.rejects(
    () => checkRegistryHost(everything, { reference: `${Deno.hostname()}:5000/a/b` }),
    /on the rig's own network/,
  );
});
