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
 */
import assert from "node:assert/strict";
import { join, resolve } from "node:path";
import { chromium } from "playwright-core";
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
