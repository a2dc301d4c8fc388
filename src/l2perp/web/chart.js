// The trade view's two charts. L2.chart: candles on a canvas (candleSnapshot / the `candle`
// channel, {t, o, h, l, c, v} as decimal strings), volume below, the price axis on the right,
// the mark as a horizontal line, a crosshair at the pointer. L2.depth: the book's cumulative
// bid and ask size against price, in SVG. Display only: floats are fine here.
"use strict";

L2.chart = (() => {
  const UP = "#1b7f3b", DOWN = "#b3261e", GRID = "#e6e8eb", TEXT = "#5b6470", MARK = "#2f5fd0";
  const CROSS = "#37404c";
  const AXIS = 68, BOTTOM = 18, MIN_SLOT = 7, MAX_SLOTS = 90;

  function niceStep(range, ticks) {
    const raw = range / ticks;
    const mag = 10 ** Math.floor(Math.log10(raw));
    for (const m of [1, 2, 2.5, 5, 10]) if (m * mag >= raw) return m * mag;
    return 10 * mag;
  }

  function hhmm(t) {
    const d = new Date(t);
    return `${String(d.getUTCHours()).padStart(2, "0")}:${String(d.getUTCMinutes()).padStart(2, "0")}`;
  }

  function label(t, span) {
    const d = new Date(t);
    return span >= 86_400_000 ? `${d.getUTCMonth() + 1}/${d.getUTCDate()}` : hhmm(t);
  }

  // A value tag on the price axis (the mark, the crosshair's price).
  function tag(g, text, yy, plotW, color) {
    g.fillStyle = color; g.fillRect(plotW + 1, yy - 8, AXIS - 1, 16);
    g.fillStyle = "#fff"; g.fillText(text, plotW + 5, yy + 4);
  }

  // Draw `candles` (oldest first) into `canvas`, sized to its CSS box, right-aligned in slots
  // of at least MIN_SLOT px. opts: {mark, fmt(price) -> text, hover: {x, y} in CSS px}.
  // Returns the candle under the pointer (or null).
  function draw(canvas, candles, opts = {}) {
    const { mark, hover } = opts;
    const fmt = opts.fmt || ((p) => String(+p.toPrecision(5)));
    const ratio = window.devicePixelRatio || 1;
    const width = canvas.clientWidth, height = canvas.clientHeight;
    if (!width || !height) return null;
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
    const g = canvas.getContext("2d");
    g.setTransform(ratio, 0, 0, ratio, 0, 0);
    g.clearRect(0, 0, width, height);
    g.font = "11px system-ui, sans-serif";
    const volumeH = Math.round(height * 0.16);
    const plotW = width - AXIS, priceH = height - BOTTOM - volumeH - 6;
    if (!candles.length) {
      g.fillStyle = TEXT;
      g.fillText("no trades yet in this interval", 12, height / 2);
      return null;
    }
    const slots = Math.max(10, Math.min(MAX_SLOTS, Math.floor(plotW / MIN_SLOT)));
    const shown = candles.slice(-slots);
    const slot = plotW / slots;
    const xOf = (i) => plotW - (shown.length - i - 0.5) * slot;
    const markPx = Number.isFinite(+mark) && +mark > 0 ? +mark : null;
    let lo = Infinity, hi = -Infinity, vmax = 0;
    for (const c of shown) {
      lo = Math.min(lo, +c.l); hi = Math.max(hi, +c.h); vmax = Math.max(vmax, +c.v);
    }
    if (markPx) { lo = Math.min(lo, markPx); hi = Math.max(hi, markPx); }
    if (hi === lo) { hi += hi * 0.001 || 1; lo -= lo * 0.001 || 1; }
    const pad = (hi - lo) * 0.06;
    lo -= pad; hi += pad;
    const y = (p) => 4 + (priceH * (hi - p)) / (hi - lo);
    const priceAt = (yy) => hi - ((yy - 4) * (hi - lo)) / priceH;
    const markY = markPx ? Math.round(y(markPx)) + 0.5 : null;
    const step = niceStep(hi - lo, 5);
    g.strokeStyle = GRID; g.fillStyle = TEXT; g.lineWidth = 1;
    const decimals = Math.max(0, -Math.floor(Math.log10(step)));
    for (let p = Math.ceil(lo / step) * step; p <= hi; p += step) {
      const yy = Math.round(y(p)) + 0.5;
      g.beginPath(); g.moveTo(0, yy); g.lineTo(plotW, yy); g.stroke();
      if (markY === null || Math.abs(yy - markY) > 14) {  // the mark's tag wins the axis
        g.fillText(p.toLocaleString("en-US", { minimumFractionDigits: decimals, maximumFractionDigits: decimals }),
                   plotW + 6, yy + 4);
      }
    }
    const body = Math.max(1, Math.min(12, slot * 0.7));
    const span = shown.length > 1 ? shown[1].t - shown[0].t : 60_000;
    const every = Math.max(1, Math.ceil(56 / slot));
    shown.forEach((c, i) => {
      const x = xOf(i);
      const o = +c.o, cl = +c.c, color = cl >= o ? UP : DOWN;
      g.strokeStyle = color; g.fillStyle = color;
      g.beginPath(); g.moveTo(Math.round(x) + 0.5, y(+c.h)); g.lineTo(Math.round(x) + 0.5, y(+c.l)); g.stroke();
      const top = y(Math.max(o, cl)), h = Math.max(1, Math.abs(y(o) - y(cl)));
      g.fillRect(x - body / 2, top, body, h);
      const vh = vmax ? (volumeH * +c.v) / vmax : 0;
      g.globalAlpha = 0.35;
      g.fillRect(x - body / 2, height - BOTTOM - vh, body, vh);
      g.globalAlpha = 1;
      if ((shown.length - 1 - i) % every === 0) {
        g.fillStyle = TEXT; g.fillText(label(c.t, span), Math.max(0, x - 14), height - 4);
      }
    });
    if (markY !== null) {
      g.strokeStyle = MARK; g.setLineDash([4, 3]);
      g.beginPath(); g.moveTo(0, markY); g.lineTo(plotW, markY); g.stroke(); g.setLineDash([]);
      tag(g, fmt(markPx), markY, plotW, MARK);
    }
    if (!hover || hover.x < 0 || hover.x > plotW || hover.y < 0 || hover.y > height) return null;
    const i = candleIndex(shown.length, slot, plotW, hover.x);
    const cx = i === null ? hover.x : Math.round(xOf(i)) + 0.5;
    const cy = Math.round(Math.min(hover.y, 4 + priceH)) + 0.5;
    g.strokeStyle = CROSS; g.setLineDash([3, 3]);
    g.beginPath(); g.moveTo(cx, 0); g.lineTo(cx, height - BOTTOM); g.stroke();
    g.beginPath(); g.moveTo(0, cy); g.lineTo(plotW, cy); g.stroke(); g.setLineDash([]);
    tag(g, fmt(priceAt(cy)), cy, plotW, CROSS);
    if (i === null) return null;
    const c = shown[i];
    g.fillStyle = CROSS; g.fillRect(cx - 20, height - BOTTOM + 1, 40, BOTTOM - 2);
    g.fillStyle = "#fff"; g.fillText(hhmm(c.t), cx - 15, height - 5);
    return c;
  }

  // The index (in the shown candles) of the slot under x, or null where there is no candle.
  function candleIndex(count, slot, plotW, x) {
    const i = count - 1 - Math.floor((plotW - x) / slot);
    return i >= 0 && i < count ? i : null;
  }

  // Merge one streamed candle into the list (same start: replace; newer: append).
  function merge(candles, candle) {
    const last = candles[candles.length - 1];
    if (last && last.t === candle.t) candles[candles.length - 1] = candle;
    else if (!last || candle.t > last.t) candles.push(candle);
    return candles;
  }

  return { draw, merge };
})();

// ----- the depth chart: cumulative size (coins) against price (USD), two stepped areas -----

L2.depth = (() => {
  const NS = "http://www.w3.org/2000/svg";
  const HEIGHT = 150, LEFT = 6, RIGHT = 6, TOP = 16, BOTTOM = 30;

  function svgEl(tag, attrs, text) {
    const node = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // [[price, cumulative size]] from the best level outward.
  function cumulative(levels) {
    let total = 0;
    return levels.map((l) => [Number(l.px), (total += Number(l.sz))]);
  }

  // A stepped area from the spread outward: at each level the depth rises to its cumulative size.
  function area(points, x, y, edge) {
    if (!points.length) return "";
    const r = (v) => v.toFixed(1);
    const parts = [`M${r(x(points[0][0]))},${r(y(0))}`];
    let depth = 0;
    for (const [p, cum] of points) {
      parts.push(`L${r(x(p))},${r(y(depth))}`, `L${r(x(p))},${r(y(cum))}`);
      depth = cum;
    }
    parts.push(`L${r(edge)},${r(y(depth))}`, `L${r(edge)},${r(y(0))}`, "Z");
    return parts.join(" ");
  }

  // Draw `book` ({levels: [bids, asks]}) into the <svg> `target`; fmt(price) -> text, coin
  // names the size unit.
  function draw(target, book, fmt, coin) {
    const width = Math.max(200, Math.round(target.clientWidth || target.parentNode.clientWidth || 280));
    target.setAttribute("viewBox", `0 0 ${width} ${HEIGHT}`);
    target.setAttribute("height", HEIGHT);
    const [bids, asks] = book ? book.levels : [[], []];
    if (!bids.length || !asks.length) {
      target.replaceChildren(svgEl("text", { x: LEFT, y: HEIGHT / 2, class: "depth-empty" },
                                   book ? "one side of the book is empty" : "waiting for the book…"));
      return;
    }
    const b = cumulative(bids), a = cumulative(asks);
    const mid = (b[0][0] + a[0][0]) / 2;
    // symmetric around the mid, as far as the nearer side's last level
    const reach = Math.max(a[0][0] - mid, Math.min(mid - b[b.length - 1][0], a[a.length - 1][0] - mid));
    const lo = mid - reach, hi = mid + reach;
    const inside = (pts) => pts.filter(([p]) => p >= lo && p <= hi);
    const bIn = inside(b), aIn = inside(a);
    const top = Math.max(bIn.at(-1)?.[1] || 0, aIn.at(-1)?.[1] || 0) * 1.1 || 1;
    const plotW = width - LEFT - RIGHT, plotH = HEIGHT - TOP - BOTTOM;
    const x = (p) => LEFT + (plotW * (p - lo)) / (hi - lo);
    const y = (s) => TOP + plotH * (1 - s / top);
    const midX = x(mid).toFixed(1);
    const text = (attrs, t) => svgEl("text", attrs, t);
    const sizeText = (s) => String(+s.toPrecision(3));
    target.replaceChildren(
      svgEl("line", { x1: LEFT, x2: width - RIGHT, y1: y(0), y2: y(0), class: "depth-axis" }),
      svgEl("line", { x1: midX, x2: midX, y1: TOP, y2: y(0), class: "depth-mid" }),
      svgEl("line", { x1: LEFT, x2: width - RIGHT, y1: y(top / 2), y2: y(top / 2), class: "depth-grid" }),
      svgEl("path", { d: area(bIn, x, y, LEFT), class: "bids" }),
      svgEl("path", { d: area(aIn, x, y, width - RIGHT), class: "asks" }),
      text({ x: width / 2 + 4, y: y(top / 2) - 3 }, sizeText(top / 2)),
      text({ x: LEFT, y: HEIGHT - BOTTOM + 13 }, fmt(lo)),
      text({ x: midX, y: HEIGHT - BOTTOM + 13, "text-anchor": "middle" }, fmt(mid)),
      text({ x: width - RIGHT, y: HEIGHT - BOTTOM + 13, "text-anchor": "end" }, fmt(hi)),
      text({ x: width / 2, y: HEIGHT - 3, "text-anchor": "middle", class: "depth-label" }, "price (USD)"),
      text({ x: LEFT, y: 11, class: "depth-label" }, `cumulative size (${coin}) · deepest ${sizeText(top / 1.1)}`),
      text({ x: LEFT + 2, y: y(0) - 4, class: "depth-side bid" }, "bids"),
      text({ x: width - RIGHT - 2, y: y(0) - 4, "text-anchor": "end", class: "depth-side ask" }, "asks"));
  }

  return { draw, cumulative };
})();
