/**
 * The dashboard's HTTP server (the real Deno.serve of startDashboard) against
 * requests a browser never sends, over raw TCP on loopback: a Host whose port
 * is no port, broken percent-encoding, bodies larger than the limit or
 * shorter than their Content-Length (half-closed, or left open), and a deal
 * id past int64 on the stop route, whose admin actions run on a real sqlite
 * journal. Each gets a 4xx with a reason, never a 500 or no answer at all.
 */
import assert from "node:assert/strict";
import { createAdminActions, dashboardAct } from "../src/agent/tasks/mod.ts";
import { openState, tasksTable } from "../src/agent/state/mod.ts";
import { emptySnapshot, startDashboard } from "../src/dashboard/mod.ts";

type Answer = { status: number; head: string; body: string };

/**
 * Sends `head` (and `body` chunks) over one TCP connection and reads one
 * answer, by its Content-Length (the server's HTTP layer keeps a connection
 * open to drain a refused body, so its end is not awaited).
 */
async function raw(
  port: number,
  head: string,
  options: { body?: Iterable<Uint8Array>; halfClose?: boolean } = {},
): Promise<Answer> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    // the answer is read while the body is still being written: the server may answer first
    const answer = readAnswer(conn);
    answer.catch(() => {});
    try {
      await writeAll(conn, new TextEncoder().encode(head));
      for (const chunk of options.body ?? []) await writeAll(conn, chunk);
    } catch {
      // the server answered and closed while the client was still sending
    }
    if (options.halfClose) await conn.closeWrite().catch(() => {});
    return await answer;
  } finally {
    conn.close();
  }
}

async function readAnswer(conn: Deno.Conn): Promise<Answer> {
  const decoder = new TextDecoder();
  const buf = new Uint8Array(64 * 1024);
  let text = "";
  for (;;) {
    const end = text.indexOf("\r\n\r\n");
    if (end >= 0) {
      const head = text.slice(0, end);
      const length = Number(head.match(/\r\ncontent-length: *(\d+)/i)?.[1] ?? 0);
      if (text.length >= end + 4 + length) {
        return {
          status: Number(head.split(" ")[1] ?? 0),
          head,
          body: text.slice(end + 4, end + 4 + length),
        };
      }
    }
    const n = await conn.read(buf);
    if (n === null) return { status: 0, head: text, body: "" };
    text += decoder.decode(buf.subarray(0, n), { stream: true });
  }
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  for (let at = 0; at < bytes.length;) at += await conn.write(bytes.subarray(at));
}

async function withDashboard(
  fn: (port: number, post: (path: string, extra: string) => string) => Promise<void>,
): Promise<void> {
  const dataDir = await Deno.makeTempDir({ prefix: "dash-http-" });
  const state = openState({ path: ":memory:" });
  const runtime = {
    tasks: tasksTable(state.db),
    stop: () => Promise.reject(new Error("no task is stopped in this test")),
    statusOf: () => {
      throw new Error("no task has a status in this test");
    },
  };
  const act = dashboardAct(createAdminActions(runtime as never, {}));
  const dash = await startDashboard({
    source: { snapshot: () => Promise.resolve(emptySnapshot(Date.now())), act },
    port: 0,
    dataDir,
  });
  const token = (await Deno.readTextFile(dash.tokenPath)).trim();
  const port = Number(new URL(dash.url).port);
  const post = (path: string, extra: string) =>
    `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nOrigin: ${dash.url}\r\n` +
    `X-Sonm-Token: ${token}\r\nContent-Type: application/json\r\nConnection: close\r\n${extra}\r\n`;
  try {
    await fn(port, post);
  } finally {
    await dash.stop();
    state.close();
    await Deno.remove(dataDir, { recursive: true });
  }
}

Deno.test("the dashboard answers a Host whose port is no port with 400, without a token", async () => {
  await withDashboard(async (port) => {
    for (const path of ["/api/status", "/", "/metrics"]) {
      const r = await raw(
        port,
        `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:99999999999999999999\r\nConnection: close\r\n\r\n`,
      );
      assert.equal(r.status, 400, r.head + r.body);
      assert.match(
        r.body,
        /Cannot serve host "127\.0\.0\.1:99999999999999999999": it is not a host/,
      );
      assert.match(r.head, /content-security-policy/i, "the security headers on a refusal too");
    }
  });
});

Deno.test("the dashboard answers broken percent-encoding in a control's path with 400", async () => {
  await withDashboard(async (port, post) => {
    const body = '{"paused":true}';
    const pause = await raw(
      port,
      post("/api/plans/%E0%A4%A/pause", `Content-Length: ${body.length}\r\n`) + body,
    );
    assert.equal(pause.status, 400, pause.head + pause.body);
    assert.match(pause.body, /the path is not valid percent-encoding/);
    const stop = await raw(port, post("/api/deals/%FF/tasks/1/stop", "Content-Length: 0\r\n"));
    assert.equal(stop.status, 400, stop.head + stop.body);
  });
});

Deno.test("the dashboard refuses a body over 4 KiB with 413 before reading it", async () => {
  await withDashboard(async (port, post) => {
    // declared: refused from the header alone, nothing read
    const declared = await raw(port, post("/api/plans/p/pause", "Content-Length: 838860800\r\n"));
    assert.equal(declared.status, 413, declared.head + declared.body);
    assert.match(declared.body, /the body is over 4096 bytes/);
    // chunked, no length: refused at the first chunk past the limit; the rest is never kept
    // (the server's HTTP layer drains it to reach the next request, holding none of it)
    const chunk = new TextEncoder().encode(`10000\r\n${"x".repeat(0x10000)}\r\n`);
    const before = Deno.memoryUsage().rss;
    const streamed = await raw(port, post("/api/plans/p/pause", "Transfer-Encoding: chunked\r\n"), {
      body: (function* () {
        for (let i = 0; i < 1024; i++) yield chunk; // 64 MiB
        yield new TextEncoder().encode("0\r\n\r\n");
      })(),
    });
    const grew = Deno.memoryUsage().rss - before;
    assert.equal(streamed.status, 413, streamed.head + streamed.body);
    // reading it whole (request.text()) held the 64 MiB twice over: bytes, then a string
    assert.ok(grew < 48 * 2 ** 20, `the server's RSS grew by ${grew} bytes for a refused body`);
  });
});

Deno.test("the dashboard answers a body shorter than its Content-Length with 400, closed or left open", async () => {
  await withDashboard(async (port, post) => {
    const head = post("/api/plans/p/pause", "Content-Length: 100\r\n") + '{"paused":';
    const halfClosed = await raw(port, head, { halfClose: true });
    assert.equal(halfClosed.status, 400, halfClosed.head + halfClosed.body);
    assert.match(halfClosed.body, /the body ended before its Content-Length/);
    const open = await raw(port, head); // the client waits: the server must answer by itself
    assert.equal(open.status, 400, open.head + open.body);
    assert.match(open.body, /the body did not arrive within 5000 ms/);
  });
});

Deno.test("the dashboard's stop route answers a deal id past int64 as an unknown task, not a bind error", async () => {
  await withDashboard(async (port, post) => {
    const r = await raw(
      port,
      post("/api/deals/9223372036854775808/tasks/1/stop", "Content-Length: 0\r\n"),
    );
    assert.equal(r.status, 409, r.head + r.body);
    assert.equal(r.body.trim(), "deal 9223372036854775808 has no task 1");
  });
});
