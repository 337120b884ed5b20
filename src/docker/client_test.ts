import assert from "node:assert/strict";
import { createDockerClient } from "./client.ts";
import { DockerApiError, DockerVersionError } from "./errors.ts";

/** A fake daemon on a unix socket that answers /version with `apiVersion`. */
async function withFakeDaemon(
  apiVersion: string,
  fn: (socketPath: string, seen: string[]) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/fake.sock`;
  const seen: string[] = [];
  const server = Deno.serve({ path, onListen: () => {} }, (req) => {
    const url = new URL(req.url);
    seen.push(url.pathname);
    if (url.pathname === "/version") return Response.json({ ApiVersion: apiVersion });
    if (url.pathname.endsWith("/containers/json")) return Response.json([]);
    return Response.json({ message: "page not found" }, { status: 404 });
  });
  try {
    await fn(path, seen);
  } finally {
    await server.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("createDockerClient() negotiates min(daemon, 1.41) once and prefixes paths", async () => {
  await withFakeDaemon("1.43", async (socketPath, seen) => {
    const docker = createDockerClient({ socketPath });
    try {
      assert.equal(await docker.apiVersion(), "1.41");
      await docker.request({ method: "GET", path: "/containers/json" });
      await docker.request({ method: "GET", path: "/containers/json" });
      assert.deepEqual(seen, ["/version", "/v1.41/containers/json", "/v1.41/containers/json"]);
    } finally {
      docker.close();
    }
  });
  await withFakeDaemon("1.40", async (socketPath) => {
    const docker = createDockerClient({ socketPath });
    try {
      assert.equal(await docker.apiVersion(), "1.40");
    } finally {
      docker.close();
    }
  });
});

Deno.test("createDockerClient() refuses a daemon older than API 1.40", async () => {
  await withFakeDaemon("1.39", async (socketPath) => {
    const docker = createDockerClient({ socketPath });
    try {
      await assert.rejects(
        docker.request({ method: "GET", path: "/containers/json" }),
        (e: unknown) =>
          e instanceof DockerVersionError &&
          e.message ===
            'Cannot negotiate the Docker API version: daemon speaks "1.39", the agent needs "1.40" or newer',
      );
    } finally {
      docker.close();
    }
  });
});

Deno.test("createDockerClient() turns an error body into DockerApiError with the daemon's message", async () => {
  await withFakeDaemon("1.41", async (socketPath) => {
    const docker = createDockerClient({ socketPath });
    try {
      for (
        const call of [
          () => docker.request({ method: "GET", path: "/nope" }),
          () => docker.stream({ method: "GET", path: "/nope" }),
        ]
      ) {
        await assert.rejects(call(), (e: unknown) => {
          assert.ok(e instanceof DockerApiError);
          assert.equal(e.status, 404);
          assert.equal(e.daemonMessage, "page not found");
          assert.equal(e.message, 'Cannot GET "/nope": daemon answered 404: page not found');
          return true;
        });
      }
    } finally {
      docker.close();
    }
  });
});
