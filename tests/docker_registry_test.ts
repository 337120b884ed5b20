/**
 * Pulling from a real registry (Debian `docker-registry` with htpasswd auth on
 * 127.0.0.1): with and without credentials, wrong credentials, unknown image,
 * digest pinning, and a tag that moved to a digest the policy does not allow.
 */
import assert from "node:assert/strict";
import {
  collectGarbage,
  DockerApiError,
  DockerStreamError,
  findTasks,
  ImagePolicyError,
  inspectDistribution,
  inspectImage,
  listNetworks,
  pullImage,
  type PullProgress,
  removeImage,
  resolveImageDigest,
  startTask,
  stopTask,
} from "../src/docker/mod.ts";
import { ensureDockerd, lockDockerd } from "./_fixtures/dockerd.ts";
import { ensureBusyboxImage } from "./_fixtures/images.ts";
import { startRegistry } from "./_fixtures/registry.ts";

const AGENT = `reg${Date.now().toString(36)}`;

function isAuthError(e: unknown): boolean {
  return (e instanceof DockerStreamError || e instanceof DockerApiError) &&
    /unauthori[sz]ed|authentication required|no basic auth credentials|denied/i.test(e.message) &&
    e.hints.includes("Check the registry credentials of this image");
}

Deno.test("pulling from a registry with htpasswd auth", async (t) => {
  const lock = await lockDockerd("shared");
  const docker = await ensureDockerd();
  const registry = await startRegistry();
  const auth = { username: registry.username, password: registry.password };
  const pulled: string[] = [];
  try {
    const a = await ensureBusyboxImage("sonm-test/busybox:variant-a", "a");
    const b = await ensureBusyboxImage("sonm-test/busybox:variant-b", "b");
    const v1 = await registry.push(a, "sonm/app:1");
    const moving1 = await registry.push(a, "sonm/moving:latest");
    const moving2 = await registry.push(b, "sonm/moving:latest"); // the tag moves to b
    assert.equal(moving1.digest, v1.digest, "same content, same digest");
    assert.notEqual(moving2.digest, moving1.digest);

    await t.step("pullImage() with credentials streams progress and gives the digest", async () => {
      const progress: PullProgress[] = [];
      const r = await pullImage(docker, {
        reference: v1.reference,
        auth,
        onProgress: (p) => progress.push(p),
      });
      pulled.push(v1.reference);
      assert.equal(r.digest, v1.digest);
      assert.ok(progress.some((p) => /Pulling from sonm\/app/.test(p.status)));
      assert.ok(progress.some((p) => p.status === `Digest: ${v1.digest}`));
      const resolved = await resolveImageDigest(docker, { reference: v1.reference });
      assert.equal(resolved.digest, v1.digest);
      assert.ok(resolved.repoDigests.includes(`${registry.address}/sonm/app@${v1.digest}`));
    });

    await t.step("inspectDistribution() gives a tag's current digest without pulling", async () => {
      const d = await inspectDistribution(docker, { reference: moving2.reference, auth });
      assert.equal(d.digest, moving2.digest);
      await assert.rejects(
        inspectDistribution(docker, { reference: moving2.reference }),
        isAuthError,
      );
    });

    await t.step("pullImage() without credentials is refused with a credentials hint", async () => {
      await assert.rejects(
        pullImage(docker, { reference: `${registry.address}/sonm/app:1` }),
        isAuthError,
      );
    });

    await t.step("pullImage() with a wrong password is refused", async () => {
      await assert.rejects(
        pullImage(docker, {
          reference: `${registry.address}/sonm/app:1`,
          auth: { ...auth, password: "wrong" },
        }),
        isAuthError,
      );
    });

    await t.step("pullImage() of an unknown image or digest names it", async () => {
      await assert.rejects(
        pullImage(docker, { reference: `${registry.address}/sonm/nope:1`, auth }),
        (e: unknown) =>
          (e instanceof DockerStreamError || e instanceof DockerApiError) &&
          /not found|unknown/i.test(e.message) && e.message.includes("sonm/nope"),
      );
      const bogus = "sha256:" + "0".repeat(64);
      await assert.rejects(
        pullImage(docker, { reference: `${registry.address}/sonm/app@${bogus}`, auth }),
        (e: unknown) =>
          (e instanceof DockerStreamError || e instanceof DockerApiError) &&
          /not found|unknown/i.test(e.message),
      );
    });

    await t.step(
      "startTask() refuses a tag that moved to a digest the policy does not allow",
      async () => {
        await assert.rejects(
          startTask(docker, {
            spec: {
              image: moving2.reference,
              command: ["true"],
              limits: { memoryBytes: 64 * 2 ** 20, pidsLimit: 16 },
            },
            // the registry is on this machine: the allowlist must name it (a pattern matching nothing
            // used here), the digest entry is what allows the image
            policy: {
              allowDigests: [moving1.digest],
              allowPatterns: [`${registry.address}/other/*`],
            },
            registryAuth: auth,
            agentId: AGENT,
            dealId: "1",
            taskId: "moved",
          }),
          (e: unknown) =>
            e instanceof ImagePolicyError && e.digest === moving2.digest &&
            e.reference === moving2.reference,
        );
        await assert.rejects(
          inspectImage(docker, { image: `${registry.address}/sonm/moving@${moving2.digest}` }),
          (e: unknown) => e instanceof DockerApiError && e.isNotFound,
          "the refused image was never pulled",
        );
        assert.deepEqual(await findTasks(docker, { agentId: AGENT }), [], "nothing was created");
        assert.deepEqual(await listNetworks(docker, { labels: { "sonm.agent": AGENT } }), []);
      },
    );

    await t.step("startTask() runs the pinned digest even after the tag moved", async () => {
      const pinned = `${registry.address}/sonm/moving@${moving1.digest}`;
      const task = await startTask(docker, {
        spec: {
          image: pinned,
          command: ["sh", "-c", "cat /variant; sleep 30"],
          limits: { memoryBytes: 64 * 2 ** 20, pidsLimit: 16 },
        },
        // the registry is on this machine: the allowlist must name it (a pattern matching nothing
        // used here), the digest entry is what allows the image
        policy: { allowDigests: [moving1.digest], allowPatterns: [`${registry.address}/other/*`] },
        registryAuth: auth,
        agentId: AGENT,
        dealId: "1",
        taskId: "pinned",
      });
      pulled.push(pinned);
      assert.equal(task.digest, moving1.digest);
      const img = await inspectImage(docker, { image: task.imageId });
      assert.ok(img.repoDigests.includes(`${registry.address}/sonm/moving@${moving1.digest}`));
      const found = await findTasks(docker, { agentId: AGENT, dealId: "1" });
      assert.deepEqual(found.map((f) => [f.taskId, f.digest, f.running]), [[
        "pinned",
        moving1.digest,
        true,
      ]]);
      const stopped = await stopTask(docker, { containerId: task.containerId, timeoutSeconds: 0 });
      assert.equal(stopped.found, true);
    });

    await t.step("startTask() refuses a local image that has no registry digest", async () => {
      await assert.rejects(
        startTask(docker, {
          spec: { image: a, limits: { memoryBytes: 64 * 2 ** 20, pidsLimit: 16 } },
          policy: { allowPatterns: ["**"], pull: "missing" },
          agentId: AGENT,
          dealId: "3",
          taskId: "local",
        }),
        (e: unknown) => e instanceof ImagePolicyError && /no registry digest/.test(e.message),
      );
    });

    await t.step("startTask() refuses a registry outside the allowed patterns", async () => {
      await assert.rejects(
        startTask(docker, {
          spec: { image: v1.reference, limits: { memoryBytes: 64 * 2 ** 20, pidsLimit: 16 } },
          policy: { allowPatterns: ["127.0.0.1:1/sonm/*", `${registry.address}/other/*`] },
          registryAuth: auth,
          agentId: AGENT,
          dealId: "2",
          taskId: "x",
        }),
        // refused before any call: no entry of the allowlist could allow this repository
        (e: unknown) =>
          e instanceof ImagePolicyError &&
          e.message.includes(`no entry of the allowlist matches "${registry.address}/sonm/app"`),
      );
    });
  } finally {
    await collectGarbage(docker, { agentId: AGENT, openDeals: [] });
    for (const r of [...new Set(pulled)]) await removeImage(docker, { image: r }).catch(() => {});
    await registry.close();
    docker.close();
    lock.release();
  }
});

Deno.test("startTask() never contacts a registry on the rig's network that the allowlist does not name", async () => {
  const lock = await lockDockerd("shared");
  const docker = await ensureDockerd();
  // a listener that counts connections stands in for the consumer's chosen host and port
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  let contacted = 0;
  const accepting = (async () => {
    for await (const conn of listener) {
      contacted++;
      conn.close();
    }
  })();
  try {
    const digest = "sha256:" + "1".repeat(64);
    for (
      const policy of [
        {},
        { allowPatterns: ["**"] },
        { allowDigests: [digest] },
        { allowPatterns: ["127.0.0.1:1/other/*"] },
      ]
    ) {
      for (const image of [`localhost:${port}/a/b/c:1`, `127.0.0.1:${port}/a/b@${digest}`]) {
        await assert.rejects(
          startTask(docker, {
            spec: { image, limits: { memoryBytes: 64 * 2 ** 20, pidsLimit: 16 } },
            policy,
            agentId: AGENT,
            dealId: "4",
            taskId: "inside",
          }),
          ImagePolicyError,
          `${image} under ${JSON.stringify(policy)}`,
        );
      }
    }
    assert.equal(contacted, 0, "dockerd connected to the consumer's chosen host");
  } finally {
    listener.close();
    await accepting.catch(() => {});
    docker.close();
    lock.release();
  }
});
