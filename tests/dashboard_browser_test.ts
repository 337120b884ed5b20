/**
 * The dashboard page in headless Chromium (Debian `chromium` driven by npm
 * `playwright-core`) against the real agent process on the devnet, with a
 * deal in progress (the devnet's demo consumer places a BID; the agent
 * matches it and bills it as chain time passes): the earnings chart renders
 * with data, the deals table lists the deal, a live update arrives without a
 * reload, the controls pause and resume the plan (the answer shows beside
 * the button), the page runs under its strict CSP with no violation, and its
 * live indicator turns red when the agent stops hearing the chain (anvil
 * frozen). The screenshot is kept at bench/results/dashboard.png.
 *
 * A second test serves the page from the real dashboard server over a
 * snapshot the test writes (a task with a long image name, grouped warnings,
 * a loss), so what the page shows can be checked exactly: nothing wider than
 * a 390 px phone, negative money as "-$0.0009", problems first, earnings
 * today/this week/per hour, the settled line flat until the first bill, and
 * live updates that arrive as patches.
 */
import assert from "node:assert/strict";
import { join, resolve } from "node:path";
import { chromium } from "playwright-core";
import { emptySnapshot, startDashboard, type StatusSnapshot } from "../src/dashboard/mod.ts";
import { startAgentProcess } from "./_fixtures/agent_process.ts";
import { anvilPid, untilTrue } from "./_fixtures/agent_rig.ts";

/** Polls `check` from the test's side (the page's CSP forbids the string evaluation of waitForFunction). */
const until = (what: string, check: () => Promise<boolean>) => untilTrue(what, check, 20_000);

const CHROMIUM = "/usr/bin/chromium";
const SCREENSHOT = resolve(
  new URL(".", import.meta.url).pathname,
  "../bench/results/dashboard.png",
);

Deno.test({
  name: "the dashboard page shows the deal and its earnings and updates live",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const agent = await startAgentProcess({ prefix: "dash-browser-" });
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--no-sandbox", "--disable-gpu"],
    });
    try {
      const opened = await agent.waitFor("opened deal");
      const dealId = String(opened.dealId);
      await agent.advance(700); // past the 600 s bill interval: the agent bills
      await agent.waitFor("billed deal", { dealId });

      const page = await browser.newPage({ viewport: { width: 1280, height: 1400 } });
      const problems: string[] = [];
      page.on("console", (m) => {
        if (m.type() === "error" || m.type() === "warning") problems.push(m.text());
      });
      page.on("pageerror", (e) => problems.push(e.message));
      await page.goto(agent.url);

      // the chart: uPlot's canvas, drawn from at least two points (a bill and now)
      await page.waitForSelector("#chart canvas", { timeout: 15_000 });
      await until(
        "two chart points",
        async () => Number(await page.getAttribute("#chart", "data-points")) >= 2,
      );
      // page code as strings: this file is type-checked without the DOM library
      const painted = await page.evaluate(`(() => {
        const canvas = document.querySelector("#chart canvas");
        const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
        let n = 0;
        for (let i = 3; i < data.length; i += 4) if (data[i] > 0) n++;
        return n;
      })()`) as number;
      assert.ok(painted > 500, `painted pixels on the chart: ${painted}`);

      // the deals table lists the open deal with its bill
      const row = page.locator(`#deals tr[data-deal="${dealId}"]`);
      const billsShown = (n: number) =>
        until(
          `${n} bills shown`,
          async () =>
            (await row.count()) > 0 && (await row.locator("td").nth(7).textContent()) === String(n),
        );
      await billsShown(1); // once the indexer stored the bill
      const cells = await row.locator("td").allTextContents();
      assert.equal(cells[3], "open");
      assert.equal(cells[4], "0.36");
      assert.equal(cells[7], "1", `bills: ${cells.join(" | ")}`);
      assert.notEqual(cells[6], "0", "billed tokens");
      assert.match((await page.textContent("#settled"))!, /SNMT/);

      // a live update without a reload: a marker set now survives, the bills cell changes
      await page.evaluate(() => ((globalThis as unknown as { marker: number }).marker = 42));
      const updatesBefore = Number(await page.getAttribute("#live", "data-updates"));
      await agent.advance(700);
      await agent.waitFor("billed deal", { dealId }, { nth: 2 });
      await billsShown(2);
      assert.equal(
        await page.evaluate(() => (globalThis as unknown as { marker: number }).marker),
        42,
        "the page was not reloaded",
      );
      assert.ok(Number(await page.getAttribute("#live", "data-updates")) > updatesBefore);
      assert.match((await page.textContent("#live"))!, /updated/);

      // plans, hardware, the strict CSP held (no violation reported)
      assert.match((await page.textContent("#plans"))!, /cpu-dash/);
      assert.match((await page.textContent("#hardware"))!, /CPU/);
      const bench = await page.locator("#benchmarks tbody tr").first().locator("td")
        .allTextContents();
      assert.deepEqual(bench.slice(0, 3), ["cpu-sysbench-single", "4321", "events/s"]);
      assert.deepEqual(problems, []);

      await page.screenshot({ path: SCREENSHOT, fullPage: true });
      assert.ok((await Deno.stat(SCREENSHOT)).size > 10_000);

      // controls: locked without the token; with it, the page's POST passes the token and
      // same-origin checks, the agent pauses the plan, and the button shows the answer
      const control = page.locator('#plans tr[data-plan="cpu-dash"] button');
      const answer = page.locator('#plans tr[data-plan="cpu-dash"] .result');
      assert.equal(await control.isDisabled(), true);
      const token = (await Deno.readTextFile(join(agent.dataDir, "dashboard.token"))).trim();
      await page.fill("#token", token);
      await page.click("#unlock button");
      await until("the pause button enabled", async () => !(await control.isDisabled()));
      assert.equal(await control.textContent(), "pause");
      await control.click();
      await until(
        "the pause answered",
        async () =>
          /paused: off the market until resumed \(deal \d+ runs on\)/.test(
            await answer.textContent() ?? "",
          ),
      );
      assert.match((await page.textContent("#action-result"))!, /plan cpu-dash paused/);
      await until("the plan shown paused", async () => (await control.textContent()) === "resume");
      assert.match(
        (await page.locator('#plans tr[data-plan="cpu-dash"] td').nth(3).textContent())!,
        /paused/,
      );
      await control.click();
      await until(
        "the resume answered",
        async () => /resumed/.test(await answer.textContent() ?? ""),
      );
      await until("the plan shown resumed", async () => (await control.textContent()) === "pause");
      await page.fill("#token", "wrong");
      await page.click("#unlock button");
      await until("the pause button enabled", async () => !(await control.isDisabled()));
      await control.click();
      await until(
        "the refusal",
        async () => /refused \(403\): .*needs the token/.test((await answer.textContent()) ?? ""),
      );
      assert.equal(await page.getAttribute("#action-result", "data-state"), "refused");
      assert.deepEqual(problems.filter((p) => !/status of 403/.test(p)), []);

      // the agent stops hearing the chain (its node frozen): the live indicator turns red and
      // says since when, the page still updating from the agent's local state
      const pid = await anvilPid(agent);
      Deno.kill(pid, "SIGSTOP");
      try {
        await untilTrue(
          "the indicator red",
          async () => (await page.getAttribute("#live", "data-chain")) === "unreachable",
          40_000,
        );
        assert.match((await page.getAttribute("#live", "class"))!, /\boff\b/);
        assert.match((await page.textContent("#live"))!, /chain unreachable since/);
        assert.match((await page.textContent("#chain-lag"))!, /chain unreachable since/);
      } finally {
        Deno.kill(pid, "SIGCONT");
      }
      await untilTrue(
        "the indicator green again",
        async () => (await page.getAttribute("#live", "data-chain")) === "ok",
        40_000,
      );
    } finally {
      await browser.close();
      await agent.stop();
    }
  },
});

/** Every element whose right edge is past the viewport, and the page's scroll width. */
const OVERFLOW = `(() => {
  const width = document.documentElement.clientWidth;
  const over = [];
  for (const e of document.querySelectorAll("body *")) {
    const r = e.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    if (r.right > width + 0.5) over.push(e.tagName + "#" + e.id + " right=" + Math.round(r.right));
  }
  return { width, scrollWidth: document.documentElement.scrollWidth, over };
})()`;

type Overflow = { width: number; scrollWidth: number; over: string[] };

const T0 = 1_800_000_000; // unix s: the deal's start; its first bill 600 s later

function craftedSnapshot(generatedAt: number, bills: number): StatusSnapshot {
  const empty = emptySnapshot(generatedAt);
  const point = (t: number, settledUsd: number, pendingUsd: number, electricityUsd: number) => ({
    t,
    settledTokens: settledUsd,
    settledUsd,
    pendingTokens: pendingUsd,
    pendingUsd,
    electricityUsd,
    netUsd: settledUsd + pendingUsd - electricityUsd,
  });
  return {
    ...empty,
    agent: {
      version: "0.1.0",
      running: true,
      startedAt: generatedAt,
      pid: 1,
      address: "0x8ba1f109551bD432803012645Ac136ddd64DBA72",
    },
    chain: {
      indexedBlock: "123456",
      headBlock: "123456",
      headSeenAt: generatedAt,
      headAgeSeconds: 0,
      lagBlocks: 0,
      unreachableSince: null,
      unreachableReason: null,
      changedSince: null,
      changedReason: null,
    },
    deals: [{
      dealId: "9223372036854775",
      plan: "gpu-a-long-plan-name",
      consumer: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
      status: "ACCEPTED",
      usdPerHour: "0.36",
      duration: 0,
      startTime: T0,
      endTime: 0,
      timeLeft: null,
      bills,
      billedTokens: "1.000000000000000001",
      billedUsd: 0.06,
      pendingTokens: "0.012345678901234567",
      pendingUsd: 0.0009,
    }],
    dealCounts: { open: 1, closed: 0 },
    earnings: {
      ...empty.earnings,
      settledTokens: "1",
      settledUsd: 0.06,
      pendingUsd: 0.0009,
      electricityUsd: 0.0618,
      netUsd: -0.0009,
      today: { earnedUsd: 0.0609, electricityUsd: 0.0618, netUsd: -0.0009 },
      week: { earnedUsd: 1.25, electricityUsd: 0.5, netUsd: 0.75 },
      perHour: { earnedUsd: 0.36, electricityUsd: 0.03, netUsd: 0.33 },
      series: [
        point(T0, 0, 0, 0),
        point(T0 + 600, 0.06, 0, 0.03),
        point(T0 + 1200, 0.06, 0.06, 0.06),
      ],
    },
    tasks: [{
      dealId: "9223372036854775",
      taskId: "1",
      image: "registry.example.com:5000/some-team/a-rather-long-image-name@sha256:" +
        "ab".repeat(32),
      state: "running",
      exitCode: null,
      message: "",
      createdAt: generatedAt,
      startedAt: generatedAt,
      finishedAt: null,
      usage: { cpuPercent: 12.5, memBytes: 2 ** 28 },
    }],
    errors: [{
      at: generatedAt,
      firstAt: generatedAt - 60_000,
      count: 28,
      level: "warn",
      component: "agent:tasks",
      message: "the deal -> task step failed; retrying",
      fields: { error: "Cannot GET /containers/json: daemon socket failed: connection refused" },
    }],
  };
}

Deno.test({
  name:
    "the dashboard page on a 390 px phone: fits the screen, problems first, money and chart right, patches live",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const dataDir = await Deno.makeTempDir({ prefix: "dash-phone-" });
    let bills = 1;
    const dash = await startDashboard({
      source: { snapshot: () => Promise.resolve(craftedSnapshot(Date.now(), bills)) },
      port: 0,
      dataDir,
      refreshMs: 1000,
    });
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--no-sandbox", "--disable-gpu"],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
      const problems: string[] = [];
      page.on("pageerror", (e) => problems.push(e.message));
      page.on("console", (m) => {
        if (m.type() === "error") problems.push(m.text());
      });
      await page.goto(dash.url);
      await page.waitForSelector("#chart canvas", { timeout: 15_000 });
      await until(
        "the task row",
        async () => (await page.locator("#tasks tr[data-task]").count()) > 0,
      );

      // nothing wider than the phone: header, tables, the stop button
      const layout = await page.evaluate(OVERFLOW) as Overflow;
      assert.deepEqual(layout.over, [], `past ${layout.width} px: ${layout.over.join(", ")}`);
      assert.ok(layout.scrollWidth <= 390, `the page is ${layout.scrollWidth} px wide`);
      // read in one go inside the page: a live update rebuilds the rows between two driver calls
      const boxes = await page.evaluate(`(() => {
        const out = {};
        for (const s of ["#address", "#live", "#tasks tr[data-task] button"]) {
          const r = document.querySelector(s)?.getBoundingClientRect();
          out[s] = r ? { x: r.x, right: r.right } : null;
        }
        return out;
      })()`) as Record<string, { x: number; right: number } | null>;
      for (const [selector, box] of Object.entries(boxes)) {
        assert.ok(
          box !== null && box.x >= 0 && box.right <= 390,
          `${selector}: ${JSON.stringify(box)}`,
        );
      }

      // the problems come first, grouped: one line for 28 warnings
      const [problemsY, cardsY] = await page.evaluate(
        `["#problems", ".cards"].map((s) => document.querySelector(s).getBoundingClientRect().y)`,
      ) as [number, number];
      assert.ok(problemsY < cardsY, `problems at y=${problemsY}, cards at y=${cardsY}`);
      assert.ok(problemsY < 844, "above the fold");
      assert.equal(await page.locator("#errors li").count(), 1);
      assert.match(
        (await page.textContent("#errors li"))!,
        /WARN ×28 .*the deal -> task step failed/,
      );

      // money: the sign before the currency; today, this week, per hour
      assert.equal(await page.textContent("#net"), "-$0.0009");
      assert.equal(await page.textContent("#today"), "-$0.0009");
      assert.equal(await page.textContent("#week"), "$0.7500");
      assert.equal(await page.textContent("#per-hour"), "$0.3300");
      assert.match(
        (await page.textContent("#per-hour-detail"))!,
        /earned \$0\.3600, power \$0\.0300/,
      );
      const body = (await page.textContent("body"))!;
      assert.doesNotMatch(body, /\$-/, 'no "$-" anywhere');

      // the settled line stays at 0 until the first bill: drawn flat, not as a ramp
      const drawn = await page.evaluate(`(() => {
        const box = document.querySelector("#chart");
        const u = box.uplot;
        const canvas = box.querySelector("canvas");
        const ctx = canvas.getContext("2d");
        const x = Math.round(u.valToPos(${T0 + 300}, "x", true));
        const column = ctx.getImageData(x, 0, 1, canvas.height).data;
        const green = [];
        for (let y = 0; y < canvas.height; y++) {
          const [r, g, b, a] = column.slice(y * 4, y * 4 + 4);
          if (a > 200 && g > 170 && r < 140 && b > 100 && b < 190) green.push(y);
        }
        return { zero: u.valToPos(0, "y", true), half: u.valToPos(0.03, "y", true), green };
      })()`) as { zero: number; half: number; green: number[] };
      assert.ok(drawn.green.length > 0, "the settled line is drawn");
      const top = Math.min(...drawn.green);
      assert.ok(
        Math.abs(top - drawn.zero) <= 4,
        `settled line at y=${top} half way to the bill; 0 is y=${drawn.zero}, a ramp would be near y=${drawn.half}`,
      );

      // a change arrives as a patch and shows without a reload
      bills = 2;
      const row = page.locator("#deals tr[data-deal] td").nth(7);
      await until("the second bill shown", async () => (await row.textContent()) === "2");
      assert.deepEqual(problems, []);
    } finally {
      await browser.close();
      await dash.stop();
      await Deno.remove(dataDir, { recursive: true });
    }
  },
});
