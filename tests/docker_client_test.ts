/**
 * The Docker client against the real dockerd: lifecycle calls, logs, exec,
 * stats, events, networks, volumes, and the errors (404, 409, dead socket,
 * time limit).
 */
import assert from "node:assert/strict";
import {
  containerLogs,
  containerStats,
  createContainer,
  createDockerClient,
  createNetwork,
  createVolume,
  DockerApiError,
  DockerSocketError,
  DockerTimeoutError,
  execContainer,
  getInfo,
  getVersion,
  inspectContainer,
  killContainer,
  listContainers,
  listNetworks,
  listVolumes,
  ping,
  removeContainer,
  removeNetwork,
  removeVolume,
  startContainer,
  stopContainer,
  streamEvents,
  waitContainer,
} from "../src/docker/mod.ts";
import { ensureDockerd, lockDockerd } from "./_fixtures/dockerd.ts";
import { ensureBusyboxImage } from "./_fixtures/images.ts";

const RUN = `client-${Date.now().toString(36)}`;
const LABELS = { "sonm.test": RUN };

async function cleanup(docker: ReturnType<typeof createDockerClient>) {
  for (const c of await listContainers(docker, { labels: { "sonm.test": RUN } })) {
    await removeContainer(docker, { id: c.id, force: true });
  }
  for (const n of await listNetworks(docker, { labels: { "sonm.test": RUN } })) {
    await removeNetwork(docker, { id: n.id });
  }
  for (const v of await listVolumes(docker, { labels: { "sonm.test": RUN } })) {
    await removeVolume(docker, { name: v.name, force: true });
  }
}

Deno.test("docker client against the real dockerd", async (t) => {
  const lock = await lockDockerd("shared");
  const docker = await ensureDockerd();
  const image = await ensureBusyboxImage();
  try {
    await t.step("ping(), getVersion() and getInfo() describe the daemon", async () => {
      await ping(docker);
      const v = await getVersion(docker);
      assert.match(v.apiVersion, /^1\.\d+$/);
      assert.equal(await docker.apiVersion(), v.apiVersion >= "1.41" ? "1.41" : v.apiVersion);
      const info = await getInfo(docker);
      assert.ok(info.cpus >= 1);
      assert.ok(info.memTotalBytes > 0);
      assert.ok(info.driver.length > 0);
    });

    await t.step("a container runs, logs stdout and stderr apart, and exits", async () => {
      const { id } = await createContainer(docker, {
        config: {
          Image: image,
          Cmd: ["sh", "-c", "echo to-out; echo to-err >&2; printf 'no newline'; exit 7"],
          Labels: LABELS,
        },
      });
      await startContainer(docker, { id });
      const { exitCode } = await waitContainer(docker, { id });
      assert.equal(exitCode, 7);
      const out: Record<string, string> = { stdout: "", stderr: "" };
      for await (const c of containerLogs(docker, { id })) {
        out[c.stream] += new TextDecoder().decode(c.data);
      }
      assert.equal(out.stdout, "to-out\nno newline");
      assert.equal(out.stderr, "to-err\n");
      const info = await inspectContainer(docker, { id });
      assert.equal(info.state.status, "exited");
      assert.equal(info.state.exitCode, 7);
      assert.equal(info.labels["sonm.test"], RUN);
      await removeContainer(docker, { id });
      await assert.rejects(
        inspectContainer(docker, { id }),
        (e: unknown) => e instanceof DockerApiError && e.status === 404 && e.isNotFound,
      );
    });

    await t.step(
      "follow logs stream lines as they are written and end with the container",
      async () => {
        const { id } = await createContainer(docker, {
          config: {
            Image: image,
            Cmd: ["sh", "-c", "for i in 1 2 3 4 5; do echo line$i; sleep 0.1; done"],
            Labels: LABELS,
          },
        });
        await startContainer(docker, { id });
        let text = "";
        for await (const c of containerLogs(docker, { id, follow: true, stderr: false })) {
          text += new TextDecoder().decode(c.data);
        }
        assert.equal(text, "line1\nline2\nline3\nline4\nline5\n");
        await removeContainer(docker, { id });
      },
    );

    await t.step("execContainer() returns output and exit code; stats and kill work", async () => {
      const { id } = await createContainer(docker, {
        config: { Image: image, Cmd: ["sleep", "60"], Labels: LABELS, StopSignal: "SIGKILL" },
      });
      await startContainer(docker, { id });
      const r = await execContainer(docker, {
        id,
        cmd: ["sh", "-c", "echo hi; echo bad >&2; exit 4"],
      });
      assert.deepEqual(r, { exitCode: 4, stdout: "hi\n", stderr: "bad\n" });
      const ac = new AbortController();
      const samples = [];
      for await (const s of containerStats(docker, { id, signal: ac.signal })) {
        samples.push(s);
        if (samples.length === 2) ac.abort();
      }
      assert.equal(samples.length, 2);
      assert.ok((samples[1]?.memoryUsageBytes ?? 0) > 0);
      assert.ok((samples[1]?.pids ?? 0) >= 1);
      // 409: a running container cannot be removed without force.
      await assert.rejects(
        removeContainer(docker, { id }),
        (e: unknown) => e instanceof DockerApiError && e.status === 409 && e.isConflict,
      );
      await killContainer(docker, { id });
      assert.notEqual((await waitContainer(docker, { id })).exitCode, 0);
      assert.deepEqual(await stopContainer(docker, { id, timeoutSeconds: 1 }), {
        alreadyStopped: true,
      });
      await removeContainer(docker, { id });
    });

    await t.step(
      "streamEvents() reports a labelled container's create, start and die",
      async () => {
        const since = Math.floor(Date.now() / 1000) - 1;
        const { id } = await createContainer(docker, {
          config: { Image: image, Cmd: ["true"], Labels: LABELS },
        });
        await startContainer(docker, { id });
        await waitContainer(docker, { id });
        const actions: string[] = [];
        const ac = new AbortController();
        for await (
          const e of streamEvents(docker, {
            since,
            filters: { type: ["container"], container: [id] },
            signal: ac.signal,
          })
        ) {
          assert.equal(e.id, id);
          actions.push(e.action);
          if (e.action === "die") ac.abort();
        }
        assert.deepEqual(actions.filter((a) => ["create", "start", "die"].includes(a)), [
          "create",
          "start",
          "die",
        ]);
        await removeContainer(docker, { id });
      },
    );

    await t.step("networks and volumes are created, found by label and removed", async () => {
      const name = `sonm-test-${RUN}`;
      const net = await createNetwork(docker, { name, labels: LABELS });
      await assert.rejects(
        createNetwork(docker, { name, labels: LABELS }),
        (e: unknown) => e instanceof DockerApiError && e.status === 409,
      );
      assert.deepEqual((await listNetworks(docker, { labels: LABELS })).map((n) => n.id), [net.id]);
      await createVolume(docker, { name, labels: LABELS });
      assert.deepEqual((await listVolumes(docker, { labels: LABELS })).map((v) => v.name), [name]);
      await removeNetwork(docker, { id: net.id });
      await removeVolume(docker, { name });
      assert.equal((await listNetworks(docker, { labels: LABELS })).length, 0);
      assert.equal((await listVolumes(docker, { labels: LABELS })).length, 0);
      await assert.rejects(
        removeVolume(docker, { name }),
        (e: unknown) => e instanceof DockerApiError && e.isNotFound,
      );
    });

    await t.step("a create with a bad config gives the daemon's message and status", async () => {
      await assert.rejects(
        createContainer(docker, {
          config: { Image: "sonm-test/no-such-image:404", Labels: LABELS },
        }),
        (e: unknown) =>
          e instanceof DockerApiError && e.status === 404 &&
          /No such image/i.test(e.daemonMessage) &&
          e.message.startsWith('Cannot POST "/containers/create": daemon answered 404: '),
      );
    });
  } finally {
    await cleanup(docker);
    docker.close();
    lock.release();
  }
});

Deno.test("a dead socket gives DockerSocketError at once", async () => {
  const docker = createDockerClient({ socketPath: "/nonexistent/docker.sock" });
  try {
    await assert.rejects(ping(docker), (e: unknown) => {
      assert.ok(e instanceof DockerSocketError);
      assert.equal(e.socketPath, "/nonexistent/docker.sock");
      assert.match(
        e.message,
        /^Cannot GET "\/_ping": daemon socket "\/nonexistent\/docker\.sock" failed: /,
      );
      return true;
    });
    await assert.rejects(listContainers(docker), DockerSocketError);
  } finally {
    docker.close();
  }
});

Deno.test("a daemon that never answers gives DockerTimeoutError, not a hang", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/hung.sock`;
  const listener = Deno.listen({ transport: "unix", path });
  const held: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const conn of listener) held.push(conn); // read nothing, answer nothing
  })();
  const docker = createDockerClient({ socketPath: path, timeoutMs: 300, apiVersion: "1.41" });
  try {
    await assert.rejects(listContainers(docker), (e: unknown) => {
      assert.ok(e instanceof DockerTimeoutError);
      assert.equal(e.timeoutMs, 300);
      assert.match(e.message, /^Cannot GET "\/containers\/json": no answer within 300 ms$/);
      return true;
    });
    // Streams (their own connection) have the same limit on the response head.
    await assert.rejects(ping(docker), (e: unknown) => e instanceof DockerTimeoutError);
  } finally {
    docker.close();
    listener.close();
    await accepting.catch(() => {});
    for (const c of held) c.close();
    await Deno.remove(dir, { recursive: true });
  }
});
