/**
 * Test fixture: a real image registry (Debian `docker-registry`, the CNCF
 * distribution server) on 127.0.0.1 with htpasswd auth, and a push helper
 * that uses the docker CLI with a throw-away config dir.
 *
 * @module
 */
import { freePort } from "./free_port.ts";
import { dockerCli } from "./images.ts";

/** A running registry. */
export type TestRegistry = {
  /** `127.0.0.1:PORT` */
  address: string;
  username: string;
  password: string;
  /** Tags a local image into the registry, pushes it and returns its manifest digest. */
  push(localImage: string, repoTag: string): Promise<{ reference: string; digest: string }>;
  /** Stops the registry and removes its files. */
  close(): Promise<void>;
};

/**
 * Starts a registry with one htpasswd user (or, with `open`, one that anyone
 * may pull from, as a rig started from the CLI has no registry credentials);
 * waits until it answers.
 */
export async function startRegistry(
  { username = "sonm", password = "s3cret-pass", open = false }: {
    username?: string;
    password?: string;
    open?: boolean;
  } = {},
): Promise<TestRegistry> {
  const dir = await Deno.makeTempDir({ prefix: "sonm-registry-" });
  const htpasswd = await new Deno.Command("htpasswd", {
    args: ["-Bbn", username, password],
    stdout: "piped",
  }).output();
  if (!htpasswd.success) throw new Error("Cannot start registry: htpasswd failed");
  await Deno.writeFile(`${dir}/htpasswd`, htpasswd.stdout);
  const port = freePort();
  const address = `127.0.0.1:${port}`;
  await Deno.writeTextFile(
    `${dir}/config.yml`,
    [
      "version: 0.1",
      "log: { level: error }",
      "storage:",
      `  filesystem: { rootdirectory: ${dir}/data }`,
      "  delete: { enabled: true }",
      "http:",
      `  addr: ${address}`,
      ...(open
        ? []
        : ["auth:", "  htpasswd:", "    realm: sonm-test", `    path: ${dir}/htpasswd`]),
      "",
    ].join("\n"),
  );
  const child = new Deno.Command("docker-registry", {
    args: ["serve", `${dir}/config.yml`],
    stdout: "null",
    stderr: "null",
  }).spawn();
  const end = Date.now() + 15_000;
  for (;;) {
    try {
      const r = await fetch(`http://${address}/v2/`);
      await r.body?.cancel();
      if (r.status === 401 || r.ok) break;
    } catch {
      // not up yet
    }
    if (Date.now() > end) throw new Error(`Cannot start registry on ${address}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const config = `${dir}/docker-config`;
  await Deno.mkdir(config);
  const env = { DOCKER_CONFIG: config };
  let loggedIn = false;
  return {
    address,
    username,
    password,
    async push(localImage, repoTag) {
      if (!loggedIn && !open) {
        await new Deno.Command("sh", {
          args: [
            "-c",
            `printf '%s' "$P" | docker login -u "$U" --password-stdin ${address} >/dev/null`,
          ],
          env: { DOCKER_CONFIG: config, P: password, U: username },
        }).output().then((o) => {
          if (!o.success) throw new Error(`Cannot log in to registry ${address}`);
        });
        loggedIn = true;
      }
      const target = `${address}/${repoTag}`;
      await dockerCli(["tag", localImage, target]);
      const out = await dockerCli(["push", target], env);
      await dockerCli(["rmi", target]).catch(() => {});
      const m = /digest: (sha256:[0-9a-f]{64})/.exec(out);
      if (!m?.[1]) throw new Error(`Cannot push "${target}": no digest in: ${out}`);
      return { reference: target, digest: m[1] };
    },
    async close() {
      // Untag whatever the tests pulled from this registry (the port is never reused).
      const refs = await dockerCli(["images", "--format", "{{.Repository}}:{{.Tag}}"]).catch(() =>
        ""
      );
      const ours = refs.split("\n").filter((r) => r.startsWith(`${address}/`));
      const digests = await dockerCli([
        "images",
        "--digests",
        "--format",
        "{{.Repository}}@{{.Digest}}",
      ])
        .catch(() => "");
      ours.push(
        ...digests.split("\n").filter((r) => r.startsWith(`${address}/`) && !r.endsWith("@<none>")),
      );
      for (const r of ours) await dockerCli(["rmi", r]).catch(() => {});
      try {
        child.kill("SIGTERM");
      } catch {
        // already gone
      }
      await child.status;
      await Deno.remove(dir, { recursive: true });
    },
  };
}
