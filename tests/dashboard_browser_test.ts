/**
 * The dashboard page in headless Chromium (Debian `chromium` driven by npm
 * `playwright-core`) against the real agent process on the devnet, with a
 * deal in progress (the devnet's demo consumer places a BID; the agent
 * matches it and bills it as chain time passes): the earnings chart renders
 * with data, the deals table lists the deal, a live update arrives without a
 * reload, and the page runs under its strict CSP with no violation. The
 * screenshot is kept at bench/results/dashboard.png.
 */
import assert from "node:assert/strict";
import { join, resolve } from "node:path";
import { chromium } from "playwright-core";
import { startAgentProcess } from "./_fixtures/agent_process.ts";

const CHROMIUM = "/usr/bin/chromium";
const SCREENSHOT = resolve(
  new URL(".", import.meta.url).pathname,
  "../bench/results/dashboard.png",
);

/** Polls `check` from the test's side (the page's CSP forbids the string evaluation of waitForFunction). */
async function until(what: string, check: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

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
      // same-origin checks (this agent offers no state change yet: 501, not 403)
      const pause = page.locator('#plans tr[data-plan="cpu-dash"] button');
      assert.equal(await pause.isDisabled(), true);
      const token = (await Deno.readTextFile(join(agent.dataDir, "dashboard.token"))).trim();
      await page.fill("#token", token);
      await page.click("#unlock button");
      await until("the pause button enabled", async () => !(await pause.isDisabled()));
      await pause.click();
      await until(
        "the action's answer",
        async () => /no state changes/.test((await page.textContent("#action-result")) ?? ""),
      );
      await page.fill("#token", "wrong");
      await page.click("#unlock button");
      await until("the pause button enabled", async () => !(await pause.isDisabled()));
      await pause.click();
      await until(
        "the refusal",
        async () => /needs the token/.test((await page.textContent("#action-result")) ?? ""),
      );
      assert.deepEqual(problems.filter((p) => !/status of (403|501)/.test(p)), []);
    } finally {
      await browser.close();
      await agent.stop();
    }
  },
});
