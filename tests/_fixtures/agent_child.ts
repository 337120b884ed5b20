/**
 * Test fixture: the real agent in its own process, so a test can SIGKILL it
 * (`SONM_TEST_KILL_AT`) and start it again on the same state. Besides
 * `runAgent`, it serves a test-only local transport of the task protocol: an
 * HTTP server on a unix socket whose `POST /` takes a request envelope and
 * answers with `dispatchTaskRequest`'s result as JSON (a `logs` stream is
 * read to its end), and `GET /settled` answers once `AgentReady.settled()`
 * resolved (the agent caught up with the chain, its scheduler idle). Prints one line `READY <json>` once the agent is ready.
 *
 * Usage: deno run -A agent_child.ts <rig.yaml> <socket> <agentId>
 * (env WORKLOADS_REGISTRY_AUTH: `user:password` for the test registry)
 *
 * @module
 */
import { runAgent } from "../../src/agent/mod.ts";
import { dispatchTaskRequest } from "../../src/nat/mod.ts";
import { createLogger } from "../../src/agent/base/mod.ts";
import { loadConfig } from "../../src/agent/config/mod.ts";
import { discoverHardware } from "../../src/bench/mod.ts";

const [configPath, socketPath, agentId] = Deno.args;
if (!configPath || !socketPath || !agentId) throw new Error("usage: <rig.yaml> <socket> <agentId>");
const config = await loadConfig(configPath, { gpuIndexes: [] });
const [username = "", password = ""] = (Deno.env.get("WORKLOADS_REGISTRY_AUTH") ?? ":").split(":");
const controller = new AbortController();
Deno.addSignalListener("SIGTERM", () => controller.abort());
const logger = createLogger({ level: "debug", format: "json" });
const hardware = await discoverHardware({ dataDir: config.dataDir });
let server: Deno.HttpServer | undefined;

await runAgent(config, {
  logger,
  signal: controller.signal,
  hardware,
  agentId,
  registryAuth: () => (username === "" ? undefined : { username, password }),
  market: {
    pollIntervalMs: 200,
    billIntervalSeconds: Number(Deno.env.get("WORKLOADS_BILL_INTERVAL") ?? "600"),
  },
  onReady: (ready) => {
    try {
      Deno.removeSync(socketPath);
    } catch {
      // no stale socket
    }
    server = Deno.serve({ path: socketPath, onListen: () => {} }, async (req) => {
      if (req.method === "GET" && new URL(req.url).pathname === "/settled") {
        await ready.settled();
        return Response.json({ settled: true });
      }
      const envelope = await req.json();
      const reply = await dispatchTaskRequest(ready.workloads.handler, envelope, {
        domain: ready.workloads.domain,
      });
      if (reply.kind !== "stream") return Response.json(reply);
      let text = "";
      try {
        for await (const c of reply.chunks) text += new TextDecoder().decode(c);
      } catch (e) {
        return Response.json({ kind: "refused", code: "internal", message: String(e) });
      }
      return Response.json({ kind: "ok", result: text });
    });
    // the parent waits for this one line on stdout
    // deno-lint-ignore no-console
    console.log(`READY ${JSON.stringify({ address: ready.address, pid: Deno.pid })}`);
  },
});
await server?.shutdown();
// as main.ts does: exit once the agent stopped, whatever handles a library left open
Deno.exit(0);
