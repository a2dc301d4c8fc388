// The lab view: open the files a lab run, sweep or drill wrote (report.json / report.html,
// sweep.json / sweep.html / frontier.png, after_action.json / after_action.md, events.jsonl)
// and read them here. Files are read in the tab (FileReader); nothing is uploaded. HTML reports
// are shown in a sandboxed frame with scripts disabled; everything else is built as DOM nodes.
"use strict";

L2.lab = (() => {
  const { el, row, table, kv, usd, pct } = L2.ui;
  const $ = (id) => document.getElementById(id);

  const RUN_FIGURES = [
    ["scenario", "scenario"], ["seed", "seed"], ["duration_s", "duration (s)"], ["blocks", "blocks"],
    ["transactions_count", "transactions"], ["fills_count", "fills"],
    ["liquidations_count", "liquidations"], ["liquidated_notional_usd", "liquidated notional ($)"],
    ["backstop_notional_usd", "backstop notional ($)"], ["adl_count", "ADL events"],
    ["adl_notional_usd", "ADL notional ($)"], ["bad_debt_usd", "bad debt ($)"],
    ["socialized_loss_usd", "socialized loss ($)"], ["fund_deficit_usd", "fund deficit ($)"],
    ["insurance_fund_start_usd", "insurance fund start ($)"], ["insurance_fund_min_usd", "insurance fund min ($)"],
    ["insurance_fund_end_usd", "insurance fund end ($)"], ["liq_delay_p50_s", "liquidation delay p50 (s)"],
    ["liq_delay_p99_s", "liquidation delay p99 (s)"], ["liq_peak_minute_ratio", "peak-minute liquidation ratio"],
    ["mean_leverage", "mean leverage"], ["capital_efficiency", "capital efficiency"],
    ["max_basis_bps", "max basis (bps)"], ["min_basis_bps", "min basis (bps)"],
    ["mempool_refused", "mempool refused"], ["margin_topups", "margin top-ups"],
    ["invariant_violations", "invariant violations"], ["final_state_root", "final state root"],
  ];

  function money(key, value) {
    return typeof value === "number" && key.endsWith("_usd") ? usd(value) : String(value);
  }

  function runFigures(report) {
    const pairs = RUN_FIGURES.filter(([k]) => k in report).map(([k, label]) => [label, money(k, report[k]),
      (k === "invariant_violations" || k.startsWith("bad_debt") || k.startsWith("socialized")) && report[k] > 0 ? "down" : ""]);
    for (const [k, v] of Object.entries(report.drawdown || {})) pairs.push([`drawdown ${k}`, pct(v)]);
    for (const section of ["rollup", "governance"]) {
      if (report[section] && typeof report[section] === "object") {
        for (const [k, v] of Object.entries(report[section])) pairs.push([`${section}: ${k}`, typeof v === "object" ? JSON.stringify(v) : String(v)]);
      }
    }
    return kv(pairs);
  }

  function section(title, ...children) {
    const card = el("article", null, "card lab-item");
    card.appendChild(el("h3", title));
    for (const c of children) card.appendChild(c);
    return card;
  }

  function afterAction(name, a) {
    const held = el("ul", null, "held");
    for (const h of a.held || []) held.appendChild(el("li", h, "up"));
    for (const h of a.did_not_hold || []) held.appendChild(el("li", h, "down"));
    const figures = kv([["drill", a.drill], ["scenario", `${a.scenario} (seed ${a.seed})`],
      ["at night", a.night ? "yes (responses slower)" : "no"], ["time to detect", `${a.time_to_detect_s} s`],
      ["time to act", `${a.time_to_act_s} s`], ["losses beyond the fund", `$${usd(a.losses_usd)}`, a.losses_usd > 0 ? "down" : ""],
      ["insurance fund change", `$${usd(a.insurance_fund_change_usd)}`]]);
    const timeline = table(["t (s)", "what", "detail"], (a.timeline || []).map((t) =>
      row([Math.round(t.t_s), t.kind.replace("drill:", ""), t.text])));
    const out = [figures, el("h4", "What held"), held, el("h4", "Timeline"), timeline];
    if (a.run) out.push(el("h4", "The run"), runFigures(a.run));
    return section(`After-action report: ${a.drill} — ${name}`, ...out);
  }

  // An SVG scatter of the sweep's points: capital efficiency (x) against p95 bad debt (y),
  // the efficient frontier in colour.
  function frontierPlot(points, frontier) {
    const NS = "http://www.w3.org/2000/svg";
    const W = 520, H = 260, P = 44;
    const svg = document.createElementNS(NS, "svg");
    svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
    svg.setAttribute("class", "plot");
    const xs = points.map((p) => p.capital_efficiency), ys = points.map((p) => p.p95_bad_debt_usd);
    const [x0, x1] = [Math.min(...xs), Math.max(...xs)], [y0, y1] = [0, Math.max(...ys, 1)];
    const sx = (x) => P + ((W - 2 * P) * (x - x0)) / (x1 - x0 || 1);
    const sy = (y) => H - P - ((H - 2 * P) * (y - y0)) / (y1 - y0 || 1);
    const add = (tag, attrs, text) => {
      const node = document.createElementNS(NS, tag);
      for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
      if (text !== undefined) node.textContent = text;
      svg.appendChild(node);
      return node;
    };
    add("line", { x1: P, y1: H - P, x2: W - P, y2: H - P, stroke: "#999" });
    add("line", { x1: P, y1: P / 2, x2: P, y2: H - P, stroke: "#999" });
    add("text", { x: W / 2, y: H - 8, "text-anchor": "middle", "font-size": 12 }, "capital efficiency");
    add("text", { x: 12, y: H / 2, "font-size": 12, transform: `rotate(-90 12 ${H / 2})`, "text-anchor": "middle" }, "p95 bad debt ($)");
    add("text", { x: P, y: H - P + 14, "font-size": 10 }, x0.toFixed(2));
    add("text", { x: W - P, y: H - P + 14, "font-size": 10, "text-anchor": "end" }, x1.toFixed(2));
    add("text", { x: P - 4, y: sy(y1) + 4, "font-size": 10, "text-anchor": "end" }, usd(y1, 0));
    points.forEach((p, i) => {
      const dot = add("circle", { cx: sx(p.capital_efficiency), cy: sy(p.p95_bad_debt_usd), r: 5,
        fill: frontier.includes(i) ? "#2f5fd0" : "#bbb" });
      dot.appendChild(document.createElementNS(NS, "title")).textContent = JSON.stringify(p.point);
    });
    return svg;
  }

  function sweep(name, s) {
    const keys = Object.keys(s.points[0]?.point || {});
    const scroll = el("div", null, "scroll");
    scroll.appendChild(table(["#", ...keys, "capital efficiency", "p95 bad debt ($)", "p95 liquidated ($)",
                              "fund depletion", "invariants", "frontier"], s.points.map((p, i) => row(
      [i, ...keys.map((k) => String(p.point[k])), p.capital_efficiency.toFixed(4), usd(p.p95_bad_debt_usd),
       usd(p.p95_liquidated_notional_usd), pct(p.insurance_depletion_probability), p.invariant_violations,
       s.frontier.includes(i) ? "●" : ""], s.frontier.includes(i) ? "frontier" : ""))));
    return section(`Sweep ${s.sweep} on ${s.scenario} — ${name}`,
      el("p", `${s.design} design, ${s.points.length} points × ${s.runs_per_point} runs, master seed ${s.master_seed}`, "muted"),
      frontierPlot(s.points, s.frontier), scroll);
  }

  function events(name, text) {
    const lines = text.split("\n").filter(Boolean).map((l) => JSON.parse(l));
    const counts = {};
    for (const e of lines) counts[e.kind || e.type || "event"] = (counts[e.kind || e.type || "event"] || 0) + 1;
    const log = table(["t", "kind", "detail"], lines.slice(0, 300).map((e) => {
      const { t, kind, type, ...rest } = e;
      return row([t, kind || type || "", JSON.stringify(rest).slice(0, 160)]);
    }));
    return section(`Event log — ${name}`, kv(Object.entries(counts).map(([k, n]) => [k, String(n)])),
      el("p", lines.length > 300 ? `first 300 of ${lines.length} events` : `${lines.length} events`, "muted"), log);
  }

  // Markdown as the drills write it: headings, bullet lists, pipe tables, paragraphs.
  function markdown(name, text) {
    const out = [];
    const lines = text.split("\n");
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i];
      if (/^#{1,6} /.test(line)) { const level = Math.min(6, line.indexOf(" ")); out.push(el(`h${level}`, line.replace(/^#+ /, ""))); }
      else if (/^[-*] /.test(line)) {
        const ul = el("ul");
        while (i < lines.length && /^[-*] /.test(lines[i])) ul.appendChild(el("li", lines[i++].slice(2)));
        i--; out.push(ul);
      } else if (line.startsWith("|")) {
        const cells = (l) => l.split("|").slice(1, -1).map((c) => c.trim());
        const head = cells(line), body = [];
        i += 2;
        while (i < lines.length && lines[i].startsWith("|")) body.push(row(cells(lines[i++])));
        i--; out.push(table(head, body));
      } else if (line.trim()) out.push(el("p", line.replace(/`/g, "")));
    }
    return section(name, ...out);
  }

  function htmlFrame(name, text) {
    const frame = el("iframe", null, "report-frame", { sandbox: "", title: name });
    frame.srcdoc = text;
    return section(name, frame);
  }

  function image(file) {
    const img = el("img", null, "report-image", { alt: file.name });
    img.src = URL.createObjectURL(file);
    return section(file.name, img);
  }

  // One file to a card; a JSON file is told apart by its fields.
  async function render(file) {
    if (file.name.endsWith(".png")) return image(file);
    const text = await file.text();
    if (file.name.endsWith(".html")) return htmlFrame(file.name, text);
    if (file.name.endsWith(".md")) return markdown(file.name, text);
    if (file.name.endsWith(".jsonl")) return events(file.name, text);
    const data = JSON.parse(text);
    if (data.drill && data.timeline) return afterAction(file.name, data);
    if (Array.isArray(data.points) && data.frontier) return sweep(file.name, data);
    if (data.scenario && ("transactions_count" in data || "blocks" in data)) {
      return section(`Run report: ${data.scenario} (seed ${data.seed}) — ${file.name}`, runFigures(data));
    }
    return section(file.name, el("pre", JSON.stringify(data, null, 2).slice(0, 20000)));
  }

  async function open(files) {
    const cards = [];
    for (const file of files) {
      try { cards.push(await render(file)); } catch (err) {
        cards.push(section(file.name, el("p", `cannot read this file: ${err.message}`, "reply err")));
      }
    }
    $("lab-out").replaceChildren(...cards);
  }

  function init() {
    $("lab-files").addEventListener("change", (e) => open([...e.target.files]));
    const drop = $("lab-drop");
    drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
    drop.addEventListener("dragleave", () => drop.classList.remove("over"));
    drop.addEventListener("drop", (e) => { e.preventDefault(); drop.classList.remove("over"); open([...e.dataTransfer.files]); });
  }

  return { init, refresh: async () => {}, open };
})();
