/**
 * The NAT lab of the tests (after ../../../shared/nat-lab/topo.sh): a relay
 * on a "public" bridge, the agent behind NAT A (always cone), the consumer
 * behind NAT B (cone, or symmetric with MASQUERADE --random-fully). Stateful
 * firewalls drop unsolicited inbound traffic. Nothing routes to the root
 * namespace. Needs root, iproute2 and iptables.
 */
export const RELAY_IP = "198.18.0.1";
export const AGENT_IP = "10.0.1.2";
export const CONSUMER_IP = "10.0.2.2";

export type LabMode = "cone" | "symmetric";

export type Lab = {
  mode: LabMode;
  ns: { pub: string; natA: string; natB: string; agent: string; consumer: string };
  down(): Promise<void>;
};

async function sh(args: string[]): Promise<void> {
  const out = await new Deno.Command(args[0]!, { args: args.slice(1), stderr: "piped" }).output();
  if (!out.success) {
    throw new Error(`${args.join(" ")} failed: ${new TextDecoder().decode(out.stderr).trim()}`);
  }
}

/** Whether this machine can build the lab (root, ip, iptables). */
export async function labAvailable(): Promise<boolean> {
  if (Deno.uid() !== 0) return false;
  try {
    await sh(["ip", "-V"]);
    await sh(["iptables", "-V"]);
    return true;
  } catch {
    return false;
  }
}

async function natRouter(ns: string, wan: string, lan: string, mode: LabMode): Promise<void> {
  const ip = (...a: string[]) => sh(["ip", "-n", ns, ...a]);
  const x = (...a: string[]) => sh(["ip", "netns", "exec", ns, ...a]);
  await ip("addr", "add", `${wan}/24`, "dev", "wan");
  await ip("addr", "add", `${lan}/24`, "dev", "lan");
  for (const dev of ["wan", "lan", "lo"]) await ip("link", "set", dev, "up");
  await x("sysctl", "-qw", "net.ipv4.ip_forward=1");
  const masq = ["iptables", "-t", "nat", "-A", "POSTROUTING", "-o", "wan", "-j", "MASQUERADE"];
  await x(...masq, ...(mode === "symmetric" ? ["--random-fully"] : []));
  await x("iptables", "-P", "FORWARD", "DROP");
  await x(
    "iptables",
    "-A",
    "FORWARD",
    "-m",
    "conntrack",
    "--ctstate",
    "ESTABLISHED,RELATED",
    "-j",
    "ACCEPT",
  );
  await x("iptables", "-A", "FORWARD", "-i", "lan", "-o", "wan", "-j", "ACCEPT");
  await x(
    "iptables",
    "-A",
    "INPUT",
    "-i",
    "wan",
    "-m",
    "conntrack",
    "--ctstate",
    "ESTABLISHED,RELATED",
    "-j",
    "ACCEPT",
  );
  await x("iptables", "-A", "INPUT", "-i", "wan", "-j", "DROP");
}

/** The public address of a rig on the public segment (`publicRig`). */
export const PUBLIC_RIG_IP = "198.18.0.4";

/**
 * Builds a lab with namespaces named `natt-<id>-*`. `blockAgentUdp` makes NAT A
 * drop the agent's outbound UDP (a network that allows only TCP); `publicRig`
 * puts the agent on the public segment itself (no NAT, reachable directly).
 */
export async function createLab(
  mode: LabMode,
  options: { blockAgentUdp?: boolean; publicRig?: boolean } = {},
): Promise<Lab> {
  const id = crypto.randomUUID().slice(0, 6);
  const p = `natt-${id}-`;
  const ns = {
    pub: `${p}pub`,
    natA: `${p}nata`,
    natB: `${p}natb`,
    agent: `${p}agent`,
    consumer: `${p}cons`,
  };
  const all = Object.values(ns);
  const down = async () => {
    for (const n of all) await sh(["ip", "netns", "del", n]).catch(() => {});
  };
  try {
    for (const n of all) await sh(["ip", "netns", "add", n]);
    const ip = (n: string, ...a: string[]) => sh(["ip", "-n", n, ...a]);
    await ip(ns.pub, "link", "add", "br0", "type", "bridge");
    await ip(ns.pub, "addr", "add", `${RELAY_IP}/24`, "dev", "br0");
    await ip(ns.pub, "link", "set", "br0", "up");
    await ip(ns.pub, "link", "set", "lo", "up");
    await ip(ns.pub, "link", "add", "pa", "type", "veth", "peer", "name", "wan", "netns", ns.natA);
    await ip(ns.pub, "link", "add", "pb", "type", "veth", "peer", "name", "wan", "netns", ns.natB);
    for (const dev of ["pa", "pb"]) {
      await ip(ns.pub, "link", "set", dev, "master", "br0");
      await ip(ns.pub, "link", "set", dev, "up");
    }
    await ip(
      ns.natA,
      "link",
      "add",
      "lan",
      "type",
      "veth",
      "peer",
      "name",
      "eth0",
      "netns",
      ns.agent,
    );
    await ip(
      ns.natB,
      "link",
      "add",
      "lan",
      "type",
      "veth",
      "peer",
      "name",
      "eth0",
      "netns",
      ns.consumer,
    );
    await natRouter(ns.natA, "198.18.0.2", "10.0.1.1", "cone");
    await natRouter(ns.natB, "198.18.0.3", "10.0.2.1", mode);
    if (options.blockAgentUdp) {
      await sh([
        "ip",
        "netns",
        "exec",
        ns.natA,
        "iptables",
        "-I",
        "FORWARD",
        "-i",
        "lan",
        "-p",
        "udp",
        "-j",
        "DROP",
      ]);
    }
    const behindNat = options.publicRig
      ? [[ns.consumer, "10.0.2"] as const]
      : [[ns.agent, "10.0.1"] as const, [ns.consumer, "10.0.2"] as const];
    for (const [host, net] of behindNat) {
      await ip(host, "addr", "add", `${net}.2/24`, "dev", "eth0");
      await ip(host, "link", "set", "eth0", "up");
      await ip(host, "link", "set", "lo", "up");
      await ip(host, "route", "add", "default", "via", `${net}.1`);
    }
    if (options.publicRig) {
      // the agent's NAT link stays down: its only way out is the public segment
      await ip(
        ns.pub,
        "link",
        "add",
        "pr",
        "type",
        "veth",
        "peer",
        "name",
        "pub0",
        "netns",
        ns.agent,
      );
      await ip(ns.pub, "link", "set", "pr", "master", "br0");
      await ip(ns.pub, "link", "set", "pr", "up");
      await ip(ns.agent, "addr", "add", `${PUBLIC_RIG_IP}/24`, "dev", "pub0");
      await ip(ns.agent, "link", "set", "pub0", "up");
      await ip(ns.agent, "link", "set", "lo", "up");
    }
  } catch (error) {
    await down();
    throw error;
  }
  return { mode, ns, down };
}

/** A deno process inside a namespace, its stdout read as JSON lines. */
export class NsProcess {
  readonly #child: Deno.ChildProcess;
  readonly #lines: unknown[] = [];
  readonly #waiters: (() => void)[] = [];
  readonly #stdin: WritableStreamDefaultWriter<Uint8Array>;
  stderr = "";
  readonly exited: Promise<Deno.CommandStatus>;
  #hasExited = false;

  constructor(ns: string, args: string[], env: Record<string, string> = {}) {
    this.#child = new Deno.Command("ip", {
      args: ["netns", "exec", ns, Deno.execPath(), ...args],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1", ...env },
    }).spawn();
    this.#stdin = this.#child.stdin.getWriter();
    this.exited = this.#child.status;
    void this.exited.then(() => {
      this.#hasExited = true;
      this.#waiters.splice(0).forEach((w) => w());
    });
    void this.#read();
    void this.#readStderr();
  }

  async #readStderr(): Promise<void> {
    for await (const chunk of this.#child.stderr.pipeThrough(new TextDecoderStream())) {
      this.stderr = (this.stderr + chunk).slice(-20_000);
    }
  }

  async #read(): Promise<void> {
    let buffer = "";
    for await (const chunk of this.#child.stdout.pipeThrough(new TextDecoderStream())) {
      buffer += chunk;
      let at: number;
      while ((at = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, at).trim();
        buffer = buffer.slice(at + 1);
        if (!line.startsWith("{")) continue;
        try {
          this.#lines.push(JSON.parse(line));
        } catch { /* not ours */ }
        this.#waiters.splice(0).forEach((w) => w());
      }
    }
    this.#waiters.splice(0).forEach((w) => w());
  }

  /** Waits for the first JSON line that `match` accepts. */
  async waitFor<T = Record<string, unknown>>(
    match: (line: Record<string, unknown>) => boolean,
    timeoutMs = 30_000,
  ): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let seen = 0;
    while (true) {
      for (; seen < this.#lines.length; seen++) {
        const line = this.#lines[seen] as Record<string, unknown>;
        if (match(line)) {
          this.#lines.splice(seen, 1);
          return line as T;
        }
      }
      const left = deadline - Date.now();
      if (left <= 0 || this.#hasExited) {
        await new Promise((r) => setTimeout(r, 100)); // let stderr drain
        const why = this.#hasExited ? "process exited" : "timed out";
        throw new Error(`${why} waiting for a line; stderr tail:\n${this.stderr.slice(-3000)}`);
      }
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        this.#waiters.push(resolve);
        timer = setTimeout(resolve, Math.min(left, 500));
      });
      clearTimeout(timer);
    }
  }

  async send(line: string): Promise<void> {
    await this.#stdin.write(new TextEncoder().encode(line + "\n"));
  }

  /** Stops the process (SIGKILL when `hard`) and waits for it. */
  async stop(hard = false): Promise<void> {
    try {
      this.#child.kill(hard ? "SIGKILL" : "SIGTERM");
    } catch { /* already gone */ }
    await this.#stdin.close().catch(() => {});
    await this.exited;
  }
}
