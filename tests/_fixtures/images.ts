/**
 * Test fixture: tiny local images built from Debian's busybox-static
 * (`FROM scratch` equivalent: `docker import` of a rootfs tarball). The
 * fixture may use the docker CLI and tar to BUILD images; the client under
 * test never shells out.
 *
 * @module
 */

/** The busybox image every docker test uses. */
export const BUSYBOX_IMAGE = "sonm-test/busybox:1";

async function run(cmd: string, args: string[], stdin?: Uint8Array): Promise<string> {
  const child = new Deno.Command(cmd, {
    args,
    stdin: stdin ? "piped" : "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (stdin) {
    const w = child.stdin.getWriter();
    await w.write(stdin);
    await w.close();
  }
  const out = await child.output();
  const text = new TextDecoder().decode(out.stdout);
  if (!out.success) {
    throw new Error(
      `Cannot run ${cmd} ${args.join(" ")}: exit ${out.code}: ${
        new TextDecoder().decode(out.stderr)
      }`,
    );
  }
  return text;
}

/** Runs the docker CLI (fixtures only) and returns its stdout. */
export function dockerCli(args: string[], env?: Record<string, string>): Promise<string> {
  if (!env) return run("docker", args);
  return run("env", [...Object.entries(env).map(([k, v]) => `${k}=${v}`), "docker", ...args]);
}

async function exists(image: string): Promise<boolean> {
  try {
    await run("docker", ["image", "inspect", image]);
    return true;
  } catch {
    return false;
  }
}

/**
 * Builds (once) a busybox-static image under `tag`. `variant` adds a file
 * `/variant` with that text, so that two variants have different digests.
 */
export async function ensureBusyboxImage(
  tag: string = BUSYBOX_IMAGE,
  variant?: string,
): Promise<string> {
  if (await exists(tag)) return tag;
  // Test files run in parallel: build each image once, under a lock.
  const lock = await Deno.open("/tmp/sonm-test-images.lock", { create: true, write: true });
  await lock.lock(true);
  try {
    if (await exists(tag)) return tag;
    return await buildImage(tag, variant);
  } finally {
    lock.unlockSync();
    lock.close();
  }
}

async function buildImage(tag: string, variant: string | undefined): Promise<string> {
  const root = await Deno.makeTempDir({ prefix: "sonm-rootfs-" });
  try {
    for (const d of ["bin", "etc", "tmp", "proc", "sys", "dev", "scratch"]) {
      await Deno.mkdir(`${root}/${d}`, { recursive: true });
    }
    await Deno.chmod(`${root}/tmp`, 0o1777);
    await Deno.copyFile("/bin/busybox", `${root}/bin/busybox`);
    await Deno.chmod(`${root}/bin/busybox`, 0o755);
    const applets = (await run("/bin/busybox", ["--list"])).split("\n").filter(Boolean);
    for (const a of applets) {
      if (a !== "busybox") await Deno.symlink("busybox", `${root}/bin/${a}`);
    }
    await Deno.writeTextFile(
      `${root}/etc/passwd`,
      "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n",
    );
    await Deno.writeTextFile(`${root}/etc/group`, "root:x:0:\nnogroup:x:65534:\n");
    if (variant !== undefined) await Deno.writeTextFile(`${root}/variant`, variant);
    const tar = await new Deno.Command("tar", {
      args: ["-C", root, "--owner=0", "--group=0", "-c", "."],
      stdout: "piped",
    }).output();
    if (!tar.success) throw new Error(`Cannot build image "${tag}": tar failed`);
    await run(
      "docker",
      ["import", "--change", 'CMD ["/bin/sh"]', "--change", "ENV PATH=/bin", "-", tag],
      tar.stdout,
    );
    return tag;
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}
