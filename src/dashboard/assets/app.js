// The rig dashboard's page: renders /api/status, then follows /api/events.
// No inline code (the page runs under a strict Content-Security-Policy) and no
// innerHTML: every value goes in as text.
"use strict";
(() => {
  const $ = (selector) => document.querySelector(selector);
  const state = {
    unit: "usd",
    chart: null,
    last: null,
    updates: 0,
    token: "",
    // the controls: requests under way and the last answer, by row (kept across live updates)
    pending: new Set(),
    results: new Map(),
  };

  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(props ?? {})) {
      if (k === "class") node.className = v;
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else if (k === "disabled") node.disabled = Boolean(v);
      else node.setAttribute(k, String(v));
    }
    for (const c of children.flat()) node.append(c instanceof Node ? c : String(c ?? ""));
    return node;
  }

  // the sign before the currency ("-$0.0009"); a value that rounds to zero has none
  const usd = (v) => {
    const digits = Math.abs(v) >= 100 ? 2 : 4;
    const text = Math.abs(v).toFixed(digits);
    return (v < 0 && Number(text) !== 0 ? "-$" : "$") + text;
  };
  const tokens = (s, digits = 6) => {
    const n = Number(s);
    return Number.isFinite(n) ? n.toFixed(digits).replace(/\.?0+$/, "") : s;
  };
  const short = (a) => a ? a.slice(0, 8) + "…" + a.slice(-4) : "–";
  const bytes = (n) => {
    const units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let i = 0;
    while (n >= 1024 && i < units.length - 1) {
      n /= 1024;
      i++;
    }
    return n.toFixed(i === 0 ? 0 : 1) + " " + units[i];
  };
  const duration = (s) => {
    if (s === null || s === undefined) return "spot";
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
    return h > 0 ? `${h}h ${m}m` : `${m}m ${s % 60}s`;
  };
  const time = (ms) => new Date(ms).toLocaleTimeString();

  function fillTable(selector, rows, columns) {
    const body = $(selector + " tbody");
    const cells = rows.length === 0
      ? [el("tr", null, el("td", { class: "empty", colspan: columns }, "none"))]
      : rows;
    // each cell names its column: on a phone the rows stack as cards that show the names
    const names = [...document.querySelectorAll(selector + " thead th")].map((th) =>
      th.textContent
    );
    for (const row of rows) {
      [...row.children].forEach((td, i) => names[i] && td.setAttribute("data-label", names[i]));
    }
    body.replaceChildren(...cells);
  }

  function renderCards(s) {
    const e = s.earnings;
    $("#address").textContent = s.agent.address ?? "";
    $("#settled").textContent = tokens(e.settledTokens) + " SNMT";
    $("#settled-usd").textContent = usd(e.settledUsd);
    $("#pending").textContent = tokens(e.pendingTokens) + " SNMT";
    $("#pending-usd").textContent = usd(e.pendingUsd);
    $("#electricity").textContent = usd(e.electricityUsd);
    $("#net").textContent = usd(e.netUsd);
    for (const [id, period] of [["today", e.today], ["week", e.week], ["per-hour", e.perHour]]) {
      if (!period) continue;
      $("#" + id).textContent = usd(period.netUsd);
      $("#" + id + "-detail").textContent = `earned ${usd(period.earnedUsd)}, power ${
        usd(period.electricityUsd)
      }`;
    }
    $("#chain").textContent = s.chain.indexedBlock === null ? "–" : "#" + s.chain.indexedBlock;
    const unreachable = s.chain.unreachableSince;
    const chainLag = $("#chain-lag");
    const changed = s.chain.changedSince ?? null;
    chainLag.textContent = changed !== null
      ? `chain changed under the agent since ${time(changed)}`
      : unreachable !== null
      ? `chain unreachable since ${time(unreachable)}` +
        (s.chain.headAgeSeconds === null ? "" : ` (last heard ${s.chain.headAgeSeconds}s ago)`)
      : s.chain.lagBlocks === null
      ? "head unknown"
      : `head #${s.chain.headBlock}, heard ${s.chain.headAgeSeconds ?? "?"}s ago`;
    chainLag.classList.toggle("bad", unreachable !== null || changed !== null);
    chainLag.dataset.state = changed !== null
      ? "changed"
      : unreachable !== null
      ? "unreachable"
      : "ok";
    const c = s.connectivity;
    $("#connectivity").textContent = c ? c.class : "unknown";
    $("#relay").textContent = c?.relay ? `relay ${c.relay.state}` : "no relay";
    const st = s.selftest;
    const failed = st ? st.results.filter((r) => r.status === "failed") : [];
    $("#selftest").textContent = st === null
      ? "not run"
      : failed.length === 0
      ? "passes"
      : `${failed.length} failed`;
    const stDetail = $("#selftest-detail");
    stDetail.textContent = st === null
      ? "the agent runs it at start"
      : failed.length === 0
      ? `at ${time(st.at)}, ${(st.ms / 1000).toFixed(1)} s`
      : failed.map((r) =>
        `${r.check}${r.plan ? `[${r.plan}]` : ""}: ${r.detail}; fix: ${r.fix ?? "-"}`
      )
        .join(" | ");
    stDetail.classList.toggle("bad", failed.length > 0);
    stDetail.dataset.state = failed.length > 0 ? "failed" : "ok";
  }

  function renderChart(s) {
    const points = s.earnings.series;
    const box = $("#chart");
    box.dataset.points = String(points.length);
    const empty = points.length === 0;
    $("#chart-empty").classList.toggle("hidden", !empty);
    box.classList.toggle("empty", empty);
    if (empty || typeof uPlot === "undefined") return;
    const tok = state.unit === "tokens";
    const data = [
      points.map((p) => p.t),
      points.map((p) => tok ? p.settledTokens : p.settledUsd),
      points.map((p) => tok ? p.settledTokens + p.pendingTokens : p.settledUsd + p.pendingUsd),
    ];
    if (!tok) data.push(points.map((p) => p.netUsd));
    const key = state.unit + ":" + data.length;
    if (state.chart && state.chart.key === key) {
      state.chart.plot.setData(data);
      return;
    }
    state.chart?.plot.destroy();
    const fmt = (v) => v === null || v === undefined ? "–" : tok ? v.toFixed(6) : usd(v);
    const series = [
      {},
      {
        label: "settled",
        stroke: "#5fd38d",
        width: 2,
        fill: "rgba(95,211,141,0.12)",
        // settled money moves only at a bill: a step there, flat between (never a ramp)
        paths: uPlot.paths.stepped({ align: 1 }),
        value: (_, v) => fmt(v),
      },
      {
        label: "settled + pending",
        stroke: "#4fb3ff",
        width: 2,
        dash: [6, 4],
        value: (_, v) => fmt(v),
      },
    ];
    if (!tok) {
      series.push({
        label: "net after electricity",
        stroke: "#f2c14e",
        width: 2,
        value: (_, v) => fmt(v),
      });
    }
    const axis = { stroke: "#8391a2", grid: { stroke: "#263140" }, ticks: { stroke: "#263140" } };
    const plot = new uPlot(
      {
        width: Math.max(320, box.clientWidth),
        height: 300,
        series,
        axes: [axis, {
          ...axis,
          size: 70,
          values: (_, vals) => vals.map((v) => tok ? v.toFixed(4) : usd(v)),
        }],
        scales: { x: { time: true } },
      },
      data,
      box,
    );
    state.chart = { key, plot };
    box.uplot = plot; // for the browser test and the console: what the chart drew
    // the page-load figure: navigation start to the first chart drawn with data
    if (performance.getEntriesByName("chart-rendered").length === 0) {
      performance.mark("chart-rendered");
    }
  }

  function renderDeals(s) {
    fillTable(
      "#deals",
      s.deals.map((d) =>
        el(
          "tr",
          { "data-deal": d.dealId },
          el("td", { class: "mono" }, d.dealId),
          el("td", null, d.plan ?? "–"),
          el("td", { class: "mono", title: d.consumer }, short(d.consumer)),
          el("td", { class: "state-" + d.status }, d.status === "ACCEPTED" ? "open" : "closed"),
          el("td", null, d.usdPerHour),
          el("td", null, d.status === "ACCEPTED" ? duration(d.timeLeft) : "–"),
          el("td", null, tokens(d.billedTokens)),
          el("td", null, d.bills),
          el("td", null, tokens(d.pendingTokens)),
        )
      ),
      9,
    );
  }

  function renderPlans(s) {
    fillTable(
      "#plans",
      s.plans.map((p) => {
        const why = p.dealId !== null
          ? el("span", null, `busy: deal ${p.dealId}`)
          : p.verdicts.length === 0
          ? el("span", { class: "muted" }, "no standing BIDs")
          : el(
            "ul",
            { class: "why" },
            p.verdicts.map((v) =>
              el(
                "li",
                null,
                `BID ${v.bidId} (${v.bidUsdPerHour} USD/h): `,
                v.matched ? "matches" : `${v.rule}: ${v.why}`,
              )
            ),
          );
        const placed = p.dealId !== null ? "in a deal" : p.active ? "active" : "not placed";
        const stateText = p.paused ? (p.dealId !== null ? "paused, in a deal" : "paused") : placed;
        const pause = !p.paused;
        return el(
          "tr",
          { "data-plan": p.plan },
          el("td", null, p.plan),
          el("td", { class: "mono" }, p.orderId ?? "–"),
          el(
            "td",
            null,
            p.usdPerHour ?? "–",
            // the plan's price now: an administrator's change shows before its ASK does
            p.priceUsdPerHour !== null && p.priceUsdPerHour !== p.usdPerHour
              ? el("span", { class: "muted" }, ` (asks ${p.priceUsdPerHour})`)
              : "",
          ),
          el(
            "td",
            { class: p.paused ? "state-paused" : p.active ? "state-active" : "" },
            stateText,
          ),
          el("td", null, why),
          control({
            key: "plan:" + p.plan,
            label: pause ? "pause" : "resume",
            path: `/api/plans/${encodeURIComponent(p.plan)}/pause`,
            body: { paused: pause },
            enabled: true,
            done: () =>
              pause
                ? `plan ${p.plan} paused: off the market until resumed` +
                  (p.dealId !== null ? ` (deal ${p.dealId} runs on)` : "")
                : `plan ${p.plan} resumed: its ASK goes back on the market` +
                  (p.dealId !== null ? ` when deal ${p.dealId} ends` : ""),
          }),
        );
      }),
      6,
    );
  }

  function renderTasks(s) {
    fillTable(
      "#tasks",
      s.tasks.map((t) =>
        el(
          "tr",
          { "data-task": `${t.dealId}/${t.taskId}` },
          el("td", { class: "mono" }, t.dealId),
          el("td", { class: "mono" }, t.taskId),
          el("td", { class: "mono" }, t.image),
          el(
            "td",
            { class: "state-" + t.state },
            t.state + (t.exitCode === null ? "" : ` (${t.exitCode})`),
          ),
          el("td", null, t.usage ? t.usage.cpuPercent.toFixed(1) + "%" : "–"),
          el("td", null, t.usage ? bytes(t.usage.memBytes) : "–"),
          el("td", null, t.usage?.gpuPercent === undefined ? "–" : t.usage.gpuPercent + "%"),
          control({
            key: `task:${t.dealId}/${t.taskId}`,
            label: "stop",
            path: `/api/deals/${encodeURIComponent(t.dealId)}/tasks/${
              encodeURIComponent(t.taskId)
            }/stop`,
            body: {},
            enabled: t.state === "running",
            done: (answer) =>
              `task ${t.taskId} of deal ${t.dealId}: ${answer.result?.state ?? "stopped"}`,
          }),
        )
      ),
      8,
    );
  }

  function renderHardware(s) {
    const h = s.hardware;
    const rows = h === null ? [["hardware", "not reported"]] : [
      ["CPU", `${h.cpu.model} (${h.cpu.cores} cores, ${h.cpu.threads} threads)`],
      ["RAM", bytes(h.memBytes)],
      ...h.gpus.map((g) => [`GPU ${g.index}`, `${g.name} (${bytes(g.memBytes)})`]),
      ...s.gpus.map((
        g,
      ) => [
        `GPU ${g.index} now`,
        [
          g.temperatureC === undefined ? null : g.temperatureC + " °C",
          g.powerW === undefined ? null : g.powerW + " W",
          g.utilizationPercent === undefined ? null : g.utilizationPercent + "%",
        ].filter(Boolean).join(", "),
      ]),
    ];
    $("#hardware").replaceChildren(
      ...rows.flatMap(([k, v]) => [el("dt", null, k), el("dd", null, v)]),
    );
    fillTable(
      "#benchmarks",
      s.benchmarks.map((b) =>
        el(
          "tr",
          null,
          el("td", null, b.key),
          el("td", null, b.value),
          el("td", null, b.unit),
          el("td", { class: "mono" }, b.probe),
        )
      ),
      4,
    );
  }

  function renderErrors(s) {
    const items = s.errors.slice(0, 30).map((e) =>
      el(
        "li",
        { "data-count": e.count ?? 1 },
        el("span", { class: "lvl-" + e.level }, e.level.toUpperCase()),
        (e.count ?? 1) > 1 ? el("span", { class: "count" }, ` ×${e.count}`) : "",
        " ",
        el(
          "span",
          { class: "muted" },
          ((e.count ?? 1) > 1 ? `${time(e.firstAt)}–${time(e.at)}` : time(e.at)) + " " +
            e.component + ": ",
        ),
        e.message,
        e.fields.error ? el("div", { class: "mono muted" }, String(e.fields.error)) : "",
      )
    );
    // the problems come first on the page, and only while there are any
    $("#problems").classList.toggle("hidden", items.length === 0);
    $("#errors").replaceChildren(...items);
  }

  function render(s) {
    state.last = s;
    state.updates++;
    const live = $("#live");
    live.dataset.updates = String(state.updates);
    live.dataset.generatedAt = String(s.generatedAt);
    // the indicator says whether the agent hears the chain, not only whether the page hears the agent
    const deaf = s.chain.unreachableSince !== null;
    live.classList.toggle("on", !deaf);
    live.classList.toggle("off", deaf);
    live.dataset.chain = deaf ? "unreachable" : "ok";
    live.textContent = deaf
      ? `chain unreachable since ${time(s.chain.unreachableSince)}`
      : "updated " + time(s.generatedAt);
    renderCards(s);
    renderChart(s);
    renderDeals(s);
    renderPlans(s);
    renderTasks(s);
    renderHardware(s);
    renderErrors(s);
  }

  // a control's cell: its button, then the answer to its last use
  function control({ key, label, path, body, enabled, done }) {
    const busy = state.pending.has(key);
    const result = state.results.get(key);
    return el(
      "td",
      { class: "control" },
      el("button", {
        type: "button",
        disabled: !state.token || !enabled || busy,
        onclick: () => act(key, path, body, done),
      }, busy ? label + "…" : label),
      result ? el("span", { class: "result " + (result.ok ? "ok" : "bad") }, result.text) : "",
    );
  }

  async function act(key, path, body, done) {
    state.pending.add(key);
    if (state.last) render(state.last);
    let outcome;
    try {
      const res = await fetch(path, {
        method: "POST",
        headers: { "content-type": "application/json", "x-sonm-token": state.token },
        body: JSON.stringify(body),
      });
      outcome = res.ok
        ? { ok: true, text: done(await res.json()) }
        : { ok: false, text: `refused (${res.status}): ${(await res.text()).trim()}` };
    } catch (error) {
      outcome = { ok: false, text: "cannot reach the agent: " + error.message };
    }
    state.pending.delete(key);
    state.results.set(key, outcome);
    const box = $("#action-result");
    box.textContent = outcome.text;
    box.className = "result " + (outcome.ok ? "ok" : "bad");
    box.dataset.state = outcome.ok ? "ok" : "refused";
    // show the change now rather than at the next live update
    try {
      render(await (await fetch("/api/status")).json());
    } catch {
      if (state.last) render(state.last);
    }
  }

  // the same edits as applySnapshotPatch in src/dashboard/_snapshot_patch.ts
  function applyPatch(target, ops) {
    let root = target;
    for (const op of ops) {
      if (op.p.length === 0) {
        if ("v" in op) root = op.v;
        else if ("from" in op) {
          root.length = op.from;
          root.push(...op.items);
        }
        continue;
      }
      let parent = root;
      for (const key of op.p.slice(0, -1)) parent = parent[key];
      const last = op.p[op.p.length - 1];
      if ("d" in op) delete parent[last];
      else if ("from" in op) {
        parent[last].length = op.from;
        parent[last].push(...op.items);
      } else parent[last] = op.v;
    }
    return root;
  }

  function setUnit(unit) {
    state.unit = unit;
    $("#unit-usd").classList.toggle("on", unit === "usd");
    $("#unit-tokens").classList.toggle("on", unit === "tokens");
    if (state.last) renderChart(state.last);
  }

  function follow() {
    const live = $("#live");
    const source = new EventSource("/api/events");
    source.addEventListener("snapshot", (event) => {
      render(JSON.parse(event.data)); // sets the indicator from the agent's link to the chain
    });
    // after the first snapshot the stream sends only what changed (src/dashboard/_snapshot_patch.ts)
    source.addEventListener("patch", (event) => {
      if (!state.last) return;
      render(applyPatch(state.last, JSON.parse(event.data)));
    });
    source.addEventListener("error", () => {
      live.classList.add("off");
      live.classList.remove("on");
      live.textContent = "disconnected, retrying…";
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    state.token = sessionStorage.getItem("sonm-token") ?? "";
    $("#unlock-state").textContent = state.token ? "unlocked" : "locked";
    $("#unit-usd").addEventListener("click", () => setUnit("usd"));
    $("#unit-tokens").addEventListener("click", () => setUnit("tokens"));
    $("#unlock").addEventListener("submit", (event) => {
      event.preventDefault();
      state.token = $("#token").value.trim();
      sessionStorage.setItem("sonm-token", state.token);
      $("#unlock-state").textContent = state.token ? "unlocked" : "locked";
      if (state.last) render(state.last);
    });
    globalThis.addEventListener("resize", () => {
      if (state.chart) state.chart.plot.setSize({ width: $("#chart").clientWidth, height: 300 });
    });
    fetch("/api/status").then((r) => r.json()).then(render).catch(() => {});
    follow();
  });
})();
