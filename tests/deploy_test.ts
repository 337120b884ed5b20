/**
 * deploy/: the systemd unit checked by `systemd-analyze verify` (and its
 * exposure by `systemd-analyze security`), and the Ansible role run by a
 * real `ansible-playbook` against localhost (connection local), in check
 * mode and for real into a temp root (the role's paths are variables; the
 * test leaves systemd and users alone: the unit's user is `daemon`), asserting
 * the files, that the unit's user can read its config (the agent's `config
 * check` run as that user), the restart on change, idempotence (checkout mode
 * included), check mode on a fresh host, and that the rendered rig.yaml
 * passes `sonm-agent config check`.
 */
import assert from "node:assert/strict";
import { join, resolve } from "node:path";

const ROOT = resolve(new URL(".", import.meta.url).pathname, "..");
const UNIT = join(ROOT, "deploy/systemd/sonm-agent.service");
const ROLES = join(ROOT, "deploy/ansible/roles");

type Result = { code: number; out: string; err: string };

async function run(cmd: string, args: string[], env: Record<string, string> = {}): Promise<Result> {
  const r = await new Deno.Command(cmd, { args, env, stdout: "piped", stderr: "piped" }).output();
  const d = new TextDecoder();
  return { code: r.code, out: d.decode(r.stdout), err: d.decode(r.stderr) };
}

/** `systemd-analyze verify`: exit 0 is not enough, any warning (an unknown key) fails too. */
async function verifyUnit(path: string): Promise<Result> {
  return await run("systemd-analyze", ["verify", path]);
}

/** The reference unit with ExecStart pointed at an executable that exists here. */
async function unitCopy(dir: string, mutate: (text: string) => string = (t) => t): Promise<string> {
  const bin = join(dir, "sonm-agent");
  await Deno.writeTextFile(bin, "#!/bin/sh\n");
  await Deno.chmod(bin, 0o755);
  const text = (await Deno.readTextFile(UNIT)).replace(
    "ExecStart=/usr/local/bin/sonm-agent",
    `ExecStart=${bin}`,
  );
  const path = join(dir, "sonm-agent.service");
  await Deno.writeTextFile(path, mutate(text));
  return path;
}

Deno.test("deploy/systemd/sonm-agent.service passes systemd-analyze verify with no warning", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dash-unit-" });
  try {
    const ok = await verifyUnit(await unitCopy(dir));
    assert.equal(ok.code, 0, ok.err);
    assert.equal(ok.err.trim(), "", "no warnings");
    // the check can fail: a misspelt option is reported
    const bad = await verifyUnit(
      await unitCopy(dir, (t) => t.replace("NoNewPrivileges=yes", "NoNewPrivilege=yes")),
    );
    assert.match(bad.err, /Unknown key 'NoNewPrivilege'/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("deploy/systemd/sonm-agent.service: restart policy, journal, docker socket, low exposure", async () => {
  const text = await Deno.readTextFile(UNIT);
  for (
    const line of [
      "Restart=on-failure",
      "ExecReload=/bin/kill -HUP $MAINPID",
      "StandardOutput=journal",
      "SupplementaryGroups=docker",
      "ReadWritePaths=-/run/docker.sock",
      "ProtectSystem=strict",
      "NoNewPrivileges=yes",
      "CapabilityBoundingSet=",
      "StateDirectory=sonm-agent",
    ]
  ) assert.match(text, new RegExp(`^${line.replace(/[.*+?^${}()|[\]\\-]/g, "\\$&")}$`, "m"));
  const dir = await Deno.makeTempDir({ prefix: "dash-unit-" });
  try {
    const r = await run("systemd-analyze", ["security", "--offline=yes", await unitCopy(dir)]);
    const level = r.out.match(/Overall exposure level for \S+: ([\d.]+)/);
    assert.ok(level !== null, r.out + r.err);
    assert.ok(Number(level[1]) <= 2.5, `exposure ${level[1]}`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

type Playbook = { dir: string; root: string; play(extra: string[]): Promise<Result> };

/** A temp root, an inventory for localhost, and a playbook applying the role. */
async function playbook(vars: Record<string, unknown>): Promise<Playbook> {
  const dir = await Deno.makeTempDir({ prefix: "dash-ansible-" });
  const root = join(dir, "root");
  await Deno.mkdir(root);
  await Deno.writeTextFile(
    join(dir, "site.yml"),
    `- hosts: rigs\n  gather_facts: false\n  roles: [sonm_agent]\n`,
  );
  const inventory = {
    rigs: {
      hosts: { localhost: { ansible_connection: "local" } },
      vars: {
        ansible_python_interpreter: "/usr/bin/python3",
        sonm_agent_root: root,
        sonm_agent_create_user: false,
        // users that exist on any Debian: the role sets owners and groups for the unit's user
        sonm_agent_user: "daemon",
        sonm_agent_group: "daemon",
        sonm_agent_manage_service: false,
        ...vars,
      },
    },
  };
  await Deno.writeTextFile(join(dir, "inventory.json"), JSON.stringify(inventory));
  const env = {
    ANSIBLE_ROLES_PATH: ROLES,
    ANSIBLE_NOCOLOR: "1",
    ANSIBLE_LOCAL_TEMP: join(dir, "tmp"),
    ANSIBLE_REMOTE_TEMP: join(dir, "tmp"),
    ANSIBLE_RETRY_FILES_ENABLED: "0",
    HOME: dir,
    PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
  };
  return {
    dir,
    root,
    play: (extra) =>
      run(
        "ansible-playbook",
        ["-i", join(dir, "inventory.json"), join(dir, "site.yml"), ...extra],
        env,
      ),
  };
}

function changedCount(r: Result): number {
  const m = r.out.match(/localhost\s+: ok=\d+\s+changed=(\d+)/);
  assert.ok(m !== null, r.out + r.err);
  return Number(m[1]);
}

const PLANS = (price: string) => [{
  name: "gpu-a",
  price_usd_per_hour: price,
  duration: "spot",
  resources: { cpu_cores: 1, ram: "1GiB", storage: "1GiB" },
  tag: "fleet",
}];

/** A stand-in for the compiled binary: runs this checkout's main.ts with this Deno. */
async function binaryStandIn(dir: string): Promise<string> {
  const path = join(dir, "sonm-agent-bin");
  await Deno.writeTextFile(
    path,
    `#!/bin/sh\nexec "${Deno.execPath()}" run -A "${join(ROOT, "main.ts")}" "$@"\n`,
  );
  await Deno.chmod(path, 0o755);
  return path;
}

const mode = async (path: string) => (await Deno.stat(path)).mode! & 0o777;

/**
 * Runs `args` as the installed unit's User= and Group= (with that user's groups), as systemd
 * would start the agent; the temp folders above the root are opened for traversal first,
 * as / and /etc are on a host.
 */
async function asUnitUser(pb: Playbook, unit: string, args: string[]): Promise<Result> {
  const text = await Deno.readTextFile(unit);
  const user = text.match(/^User=(\S+)$/m)?.[1];
  const group = text.match(/^Group=(\S+)$/m)?.[1];
  assert.ok(user !== undefined && group !== undefined, text);
  await Deno.chmod(pb.dir, 0o755);
  await Deno.chmod(pb.root, 0o755);
  const cache = join(pb.dir, "deno-cache");
  await Deno.mkdir(cache, { recursive: true });
  await run("chown", [`${user}:${group}`, cache]);
  return await run(
    "setpriv",
    [`--reuid=${user}`, `--regid=${group}`, "--init-groups", "--", ...args],
    { DENO_DIR: cache, NO_COLOR: "1", PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin" },
  );
}

Deno.test({
  name: "the ansible role installs the binary, rig.yaml and the unit; check mode writes nothing",
  sanitizeResources: false,
  fn: async () => {
    const base = await Deno.makeTempDir({ prefix: "dash-ansible-bin-" });
    const bin = await binaryStandIn(base);
    const pb = await playbook({
      sonm_agent_binary_src: bin,
      sonm_agent_plans: PLANS("0.50"),
      sonm_agent_power: { idle_watts: 70, load_watts: 300, price_per_kwh: "0.2" },
    });
    try {
      const check = await pb.play(["--check", "--diff"]);
      assert.equal(check.code, 0, check.out + check.err);
      assert.ok(changedCount(check) > 0, "check mode reports what would change");
      assert.deepEqual([...Deno.readDirSync(pb.root)], [], "check mode wrote nothing");

      const real = await pb.play([]);
      assert.equal(real.code, 0, real.out + real.err);
      assert.match(real.out, /sonm-agent would restart/);
      const r = pb.root;
      assert.equal(await mode(join(r, "usr/local/bin/sonm-agent")), 0o755);
      assert.equal(await mode(join(r, "etc/sonm-agent/rig.yaml")), 0o640);
      assert.equal(await mode(join(r, "etc/sonm-agent")), 0o750);
      assert.equal(await mode(join(r, "var/lib/sonm-agent")), 0o700);
      const daemonUid = Number((await run("id", ["-u", "daemon"])).out);
      const daemonGid = Number((await run("getent", ["group", "daemon"])).out.split(":")[2]);
      assert.equal(
        (await Deno.stat(join(r, "etc/sonm-agent"))).gid,
        daemonGid,
        "config: the group",
      );
      assert.equal((await Deno.stat(join(r, "etc/sonm-agent/rig.yaml"))).gid, daemonGid);
      assert.equal((await Deno.stat(join(r, "etc/sonm-agent/rig.yaml"))).uid, 0, "root writes it");
      assert.equal(
        (await Deno.stat(join(r, "var/lib/sonm-agent"))).uid,
        daemonUid,
        "data: the user",
      );
      const unit = join(r, "etc/systemd/system/sonm-agent.service");
      assert.equal(await mode(unit), 0o644);
      const unitText = await Deno.readTextFile(unit);
      assert.match(
        unitText,
        new RegExp(
          `^ExecStart=${r}/usr/local/bin/sonm-agent run --config ${r}/etc/sonm-agent/rig.yaml`,
          "m",
        ),
      );
      assert.match(unitText, /^ExecReload=\/bin\/kill -HUP \$MAINPID$/m);
      assert.match(unitText, new RegExp(`^ReadWritePaths=${r}/var/lib/sonm-agent$`, "m"));
      const verified = await verifyUnit(unit);
      assert.equal(verified.code, 0, verified.err);
      assert.equal(verified.err.trim(), "");

      // the rendered config is what the agent accepts
      const config = join(r, "etc/sonm-agent/rig.yaml");
      const checked = await run(join(r, "usr/local/bin/sonm-agent"), [
        "config",
        "check",
        "--config",
        config,
        "--json",
      ]);
      assert.equal(checked.code, 0, checked.out + checked.err);
      const summary = JSON.parse(checked.out);
      assert.equal(summary.ok, true);
      assert.deepEqual(summary.plans.map((p: { name: string }) => p.name), ["gpu-a"]);
      assert.equal(summary.plans[0].priceUsdPerHour, "0.50");
      assert.equal(summary.dataDir, join(r, "var/lib/sonm-agent"));

      // the service's own user reads its config and writes its data, as the unit starts it
      const asUser = await asUnitUser(pb, unit, [
        join(r, "usr/local/bin/sonm-agent"),
        "config",
        "check",
        "--config",
        config,
      ]);
      assert.equal(asUser.code, 0, asUser.out + asUser.err);
      assert.match(asUser.out, /rig\.yaml: ok/);
      const writes = await asUnitUser(pb, unit, ["touch", join(r, "var/lib/sonm-agent/probe")]);
      assert.equal(writes.code, 0, writes.err);

      // idempotent: nothing changes, no restart
      const again = await pb.play([]);
      assert.equal(changedCount(again), 0, again.out);
      assert.doesNotMatch(again.out, /would restart/);

      // a changed inventory variable re-renders rig.yaml and restarts
      const inventory = JSON.parse(await Deno.readTextFile(join(pb.dir, "inventory.json")));
      inventory.rigs.vars.sonm_agent_plans = PLANS("0.75");
      await Deno.writeTextFile(join(pb.dir, "inventory.json"), JSON.stringify(inventory));
      const changed = await pb.play([]);
      assert.equal(changedCount(changed), 1, changed.out);
      assert.match(changed.out, /sonm-agent would restart/);
      assert.match(await Deno.readTextFile(config), /price_usd_per_hour: '0\.75'/);
    } finally {
      await Deno.remove(pb.dir, { recursive: true });
      await Deno.remove(base, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "the ansible role installs from a checkout archive: check mode on a fresh host, then idempotent",
  sanitizeResources: false,
  fn: async () => {
    const base = await Deno.makeTempDir({ prefix: "dash-ansible-src-" });
    const archive = join(base, "checkout.tar.gz");
    const made = await run("git", [
      "-C",
      ROOT,
      "archive",
      "--format=tar.gz",
      "-o",
      archive,
      "HEAD",
    ]);
    assert.equal(made.code, 0, made.err);
    const pb = await playbook({
      sonm_agent_checkout_archive: archive,
      // npm install is skipped here (it would fetch the whole dependency tree):
      // node_modules is linked from the checkout under test instead
      sonm_agent_npm_install: false,
      sonm_agent_plans: PLANS("0.50"),
    });
    try {
      // a fresh host in check mode: the run says what it would do and writes nothing
      const check = await pb.play(["--check"]);
      assert.equal(check.code, 0, check.out + check.err);
      assert.ok(changedCount(check) > 0, check.out);
      assert.deepEqual([...Deno.readDirSync(pb.root)], [], "check mode wrote nothing");

      // the role unpacks each archive into a folder named by its sha1
      const digest = await crypto.subtle.digest("SHA-1", await Deno.readFile(archive));
      const sha1 = Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0"))
        .join("");
      const release = join(pb.root, "opt/sonm-agent/releases", sha1);
      await Deno.mkdir(release, { recursive: true });
      await Deno.symlink(join(ROOT, "node_modules"), join(release, "node_modules"));
      const real = await pb.play([]);
      assert.equal(real.code, 0, real.out + real.err);
      assert.match(real.out, /sonm-agent would restart/);
      assert.ok((await Deno.stat(join(release, "main.ts"))).isFile);
      assert.ok((await Deno.stat(join(release, "deno.json"))).isFile);
      const command = join(pb.root, "usr/local/bin/sonm-agent");
      assert.match(
        await Deno.readTextFile(command),
        new RegExp(
          `"${release}/node_modules/\\.bin/deno" run -A --v8-flags=\\S+ "${release}/main\\.ts"`,
        ),
      );
      const checked = await run(command, [
        "config",
        "check",
        "--config",
        join(pb.root, "etc/sonm-agent/rig.yaml"),
      ]);
      assert.equal(checked.code, 0, checked.out + checked.err);
      assert.match(checked.out, /rig\.yaml: ok/);

      // npm install writes into the release (package-lock.json); the next run changes nothing
      await Deno.writeTextFile(join(release, "package-lock.json"), "{}\n");
      const again = await pb.play([]);
      assert.equal(again.code, 0, again.out + again.err);
      assert.equal(changedCount(again), 0, again.out);
      assert.doesNotMatch(again.out, /would restart/);
    } finally {
      await Deno.remove(pb.dir, { recursive: true });
      await Deno.remove(base, { recursive: true });
    }
  },
});

Deno.test("deploy/grafana/sonm-agent.json queries only metrics the agent exports", async () => {
  const { renderMetrics, emptySnapshot } = await import("../src/dashboard/mod.ts");
  const full = renderMetrics({
    ...emptySnapshot(0),
    chain: {
      indexedBlock: "1",
      headBlock: "2",
      headSeenAt: 0,
      lagBlocks: 1,
      headAgeSeconds: 3,
      unreachableSince: null,
      unreachableReason: null,
      changedSince: null,
      changedReason: null,
    },
    tasks: [{
      dealId: "1",
      taskId: "t",
      image: "i",
      state: "running",
      exitCode: null,
      message: "",
      createdAt: null,
      startedAt: null,
      finishedAt: null,
    }],
    plans: [{
      plan: "p",
      paused: false,
      orderId: null,
      active: false,
      usdPerHour: null,
      priceUsdPerHour: null,
      dealId: null,
      verdicts: [],
      orders: [],
    }],
    benchmarks: [{ id: 2, key: "cpu-cores", value: "1", unit: "", probe: "", measuredAt: 0 }],
    connectivity: { class: "cone" },
    gpus: [{ index: 0, temperatureC: 1, powerW: 1, utilizationPercent: 1 }],
    counters: {
      rpcErrors: 0,
      dockerErrors: 0,
      warnings: 0,
      errors: 0,
      reconcileSeconds: 0.1,
      dealRacesLost: 0,
    },
  });
  const exported = new Set([...full.matchAll(/^# TYPE (\S+)/gm)].map((m) => m[1]!));
  const dashboard = JSON.parse(
    await Deno.readTextFile(join(ROOT, "deploy/grafana/sonm-agent.json")),
  );
  const exprs: string[] = dashboard.panels.flatMap((p: { targets: { expr: string }[] }) =>
    p.targets.map((t) => t.expr)
  );
  const used = new Set(exprs.flatMap((e) => [...e.matchAll(/sonm_agent_\w+/g)].map((m) => m[0])));
  assert.ok(used.size >= 15, `metrics used: ${[...used].join(", ")}`);
  for (const name of used) assert.ok(exported.has(name), `${name} is not exported by /metrics`);
});
