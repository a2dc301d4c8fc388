// DOM and formatting helpers shared by the views. Numbers arrive from the API as exact decimal
// strings; prices, sizes and amounts are formatted from them for display (per market: see
// price and size), and nothing signed or sent depends on that formatting.
"use strict";

window.L2 = window.L2 || {};

L2.ui = (() => {
  function el(tag, text, cls, attrs) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (cls) node.className = cls;
    if (attrs) for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    return node;
  }

  // A table row; a cell is text, a Node, or {text, cls}.
  function row(cells, cls) {
    const tr = el("tr", null, cls);
    for (const cell of cells) {
      const td = el("td");
      if (cell instanceof Node) td.appendChild(cell);
      else if (cell && typeof cell === "object") { td.textContent = cell.text ?? ""; td.className = cell.cls || ""; }
      else td.textContent = cell ?? "";
      tr.appendChild(td);
    }
    return tr;
  }

  // A table with a header row and the given body rows (`empty`: the text of an empty body).
  function table(headers, rows, attrs, empty) {
    const t = el("table", null, "", attrs);
    const head = t.appendChild(el("thead")).appendChild(el("tr"));
    for (const h of headers) head.appendChild(el("th", h));
    fill(t.appendChild(el("tbody")), rows, empty);
    return t;
  }

  function fill(target, nodes, empty) {
    const list = nodes.length || !empty ? nodes : [emptyRow(target, empty)];
    target.replaceChildren(...list);
  }

  function emptyRow(tbody, text) {
    const columns = tbody.closest("table")?.querySelectorAll("thead th").length || 1;
    const tr = el("tr", null, "empty");
    tr.appendChild(el("td", text, "muted", { colspan: columns }));
    return tr;
  }

  function button(label, onClick, cls) {
    const b = el("button", label, cls, { type: "button" });
    b.addEventListener("click", onClick);
    return b;
  }

  // A definition grid of label / value pairs; values may be Nodes.
  function kv(pairs, cls) {
    const box = el("dl", null, "kv " + (cls || ""));
    for (const [label, value, valueCls] of pairs) {
      box.appendChild(el("dt", label));
      const dd = el("dd", null, valueCls);
      if (value instanceof Node) dd.appendChild(value); else dd.textContent = value ?? "-";
      box.appendChild(dd);
    }
    return box;
  }

  function num(text) { return text === null || text === undefined ? NaN : Number(text); }

  function pct(x, digits = 2) {
    if (!Number.isFinite(x)) return "-";
    const text = (x * 100).toFixed(digits);
    return `${Number(text) === 0 ? (0).toFixed(digits) : text}%`;  // no "-0.00%"
  }

  // A cell coloured by the sign of `text`, showing `shown` (by default the text itself).
  function signed(text, shown = text ?? "-") {
    const x = num(text);
    return { text: shown, cls: x > 0 ? "up" : x < 0 ? "down" : "" };
  }

  // A USDC amount with thousands separators (display only).
  function usd(text, digits = 2) {
    const x = num(text);
    if (!Number.isFinite(x)) return "-";
    const shown = x.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
    return /^-[0.,]+$/.test(shown) ? shown.slice(1) : shown;  // no "-0.00"
  }

  // Micro-USDC integers (the L1's and governance's units) as USDC.
  function micro(n) { return n === null || n === undefined ? "-" : usd(Number(n) / 1e6); }

  // 0x1234…abcd for an address; anything else (a role, "guardians") as it is.
  function short(address) {
    if (!address) return "-";
    return /^0x[0-9a-fA-F]{40}$/.test(address) ? `${address.slice(0, 6)}…${address.slice(-4)}` : String(address);
  }

  function when(ms) {
    return ms ? new Date(ms).toISOString().replace("T", " ").slice(0, 19) : "-";
  }

  // A time with how far it is from `now`: "2026-12-02 03:05:10 (in 13d 23h)"; "-" for none.
  function at(ms, now) { return ms ? `${when(ms)} (${relative(ms, now)})` : "-"; }

  // "in 3h 02m" / "5m 10s ago" relative to `now` (both ms).
  function relative(ms, now) {
    if (!ms) return "-";
    const d = Math.abs(ms - now);
    if (d < 1000) return "now";
    const s = Math.floor(d / 1000), m = Math.floor(s / 60), h = Math.floor(m / 60), days = Math.floor(h / 24);
    const span = days ? `${days}d ${h % 24}h` : h ? `${h}h ${String(m % 60).padStart(2, "0")}m`
      : m ? `${m}m ${String(s % 60).padStart(2, "0")}s` : `${s}s`;
    return ms >= now ? `in ${span}` : `${span} ago`;
  }

  // A span of time in whole units: "45s", "40m", "1h 5m", "3d 4h" (never "0.666667 h").
  function duration(ms) {
    const s = Math.round(Math.abs(ms) / 1000), m = Math.floor(s / 60), h = Math.floor(m / 60);
    const d = Math.floor(h / 24);
    if (d) return h % 24 ? `${d}d ${h % 24}h` : `${d}d`;
    if (h) return m % 60 ? `${h}h ${m % 60}m` : `${h}h`;
    return m ? `${m}m` : `${s}s`;
  }

  // ----- per-market figures (Hyperliquid's rules: a price has at most 5 significant figures
  // and 6 - szDecimals decimals; a size has szDecimals decimals) ---------------------------
  function grouped(x, decimals) {
    return x.toLocaleString("en-US", { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
  }

  // The decimals a price of about `x` is shown with in a market of `szDecimals`.
  function priceDecimals(x, szDecimals) {
    const cap = Math.max(0, 6 - (szDecimals ?? 0));
    if (!Number.isFinite(x) || x === 0) return Math.min(cap, 2);
    return Math.max(0, Math.min(cap, 4 - Math.floor(Math.log10(Math.abs(x)))));
  }

  // A price as the market writes it ("94,905", "3,505.5", "149.69"); `decimals` forces a
  // column's common precision.
  function price(text, szDecimals, decimals) {
    const x = num(text);
    if (!Number.isFinite(x)) return "-";
    return grouped(x, decimals ?? priceDecimals(x, szDecimals));
  }

  // A size in coins to the market's szDecimals ("0.00200").
  function size(text, szDecimals) {
    const x = num(text);
    if (!Number.isFinite(x)) return "-";
    return grouped(x, szDecimals ?? 4);
  }

  // A large USD figure in short form: "$1.23M", "$45.6K", "$980".
  function compactUsd(x) {
    if (!Number.isFinite(x)) return "-";
    const a = Math.abs(x);
    const [div, suffix] = a >= 1e9 ? [1e9, "B"] : a >= 1e6 ? [1e6, "M"] : a >= 1e4 ? [1e3, "K"] : [1, ""];
    return `${x < 0 ? "-" : ""}$${grouped(a / div, suffix ? 2 : 0)}${suffix}`;
  }

  // A horizontal bar: parts [[value, cls, label]], scaled to `total`.
  function bar(parts, total, marker) {
    const box = el("div", null, "bar");
    for (const [value, cls, label] of parts) {
      const seg = el("span", null, cls, { title: label || "" });
      seg.style.width = `${total > 0 ? Math.min(100, (100 * value) / total) : 0}%`;
      box.appendChild(seg);
    }
    if (marker !== undefined && total > 0) {
      const m = el("i", null, "marker");
      m.style.left = `${Math.min(100, (100 * marker) / total)}%`;
      box.appendChild(m);
    }
    return box;
  }

  function badge(text, cls) { return el("span", text, "badge " + (cls || String(text).toLowerCase())); }

  // A transient message under a form: ok (green) or error (red).
  function say(target, text, ok) {
    target.textContent = text;
    target.className = "reply " + (ok ? "ok" : "err");
  }

  // An event handler that reports its failure under its form instead of as a page error.
  function guard(handler, target) {
    return async (...args) => {
      try { await handler(...args); } catch (err) { say(target, err.message, false); }
    };
  }

  const ADDRESS = /^0x[0-9a-f]{40}$/;

  return { el, row, table, fill, button, kv, num, pct, signed, usd, micro, short, when, at,
           relative, duration, priceDecimals, price, size, compactUsd, bar, badge, say, guard, ADDRESS };
})();
