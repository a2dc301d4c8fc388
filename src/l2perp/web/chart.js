// A candle chart on a canvas: candles of candleSnapshot / the `candle` channel ({t, o, h, l,
// c, v} with decimal strings), volume below, the price axis on the right, an optional
// horizontal line (the mark). Display only: floats are fine here.
"use strict";

L2.chart = (() => {
  const UP = "#1b7f3b", DOWN = "#b3261e", GRID = "#e6e8eb", TEXT = "#5b6470";

  function niceStep(range, ticks) {
    const raw = range / ticks;
    const mag = 10 ** Math.floor(Math.log10(raw));
    for (const m of [1, 2, 2.5, 5, 10]) if (m * mag >= raw) return m * mag;
    return 10 * mag;
  }

  function label(t, span) {
    const d = new Date(t);
    const hm = `${String(d.getUTCHours()).padStart(2, "0")}:${String(d.getUTCMinutes()).padStart(2, "0")}`;
    return span >= 86_400_000 ? `${d.getUTCMonth() + 1}/${d.getUTCDate()}` : hm;
  }

  // Draw `candles` (oldest first) into `canvas`, sized to its CSS box.
  function draw(canvas, candles, line) {
    const ratio = window.devicePixelRatio || 1;
    const width = canvas.clientWidth, height = canvas.clientHeight;
    if (!width || !height) return;
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
    const g = canvas.getContext("2d");
    g.setTransform(ratio, 0, 0, ratio, 0, 0);
    g.clearRect(0, 0, width, height);
    g.font = "11px system-ui, sans-serif";
    const axis = 64, bottom = 18, volumeH = Math.round(height * 0.18);
    const plotW = width - axis, priceH = height - bottom - volumeH - 6;
    if (!candles.length) {
      g.fillStyle = TEXT;
      g.fillText("no trades yet in this interval", 12, height / 2);
      return;
    }
    const shown = candles.slice(-Math.max(10, Math.floor(plotW / 7)));
    let lo = Infinity, hi = -Infinity, vmax = 0;
    for (const c of shown) {
      lo = Math.min(lo, +c.l); hi = Math.max(hi, +c.h); vmax = Math.max(vmax, +c.v);
    }
    if (line && Number.isFinite(+line)) { lo = Math.min(lo, +line); hi = Math.max(hi, +line); }
    if (hi === lo) { hi += hi * 0.001 || 1; lo -= lo * 0.001 || 1; }
    const pad = (hi - lo) * 0.06;
    lo -= pad; hi += pad;
    const y = (p) => 4 + (priceH * (hi - p)) / (hi - lo);
    const step = niceStep(hi - lo, 5);
    g.strokeStyle = GRID; g.fillStyle = TEXT; g.lineWidth = 1;
    const decimals = Math.max(0, -Math.floor(Math.log10(step)));
    for (let p = Math.ceil(lo / step) * step; p <= hi; p += step) {
      const yy = Math.round(y(p)) + 0.5;
      g.beginPath(); g.moveTo(0, yy); g.lineTo(plotW, yy); g.stroke();
      g.fillText(p.toFixed(decimals), plotW + 6, yy + 4);
    }
    const slot = plotW / shown.length;
    const body = Math.max(1, Math.min(12, slot * 0.7));
    const span = shown.length > 1 ? shown[1].t - shown[0].t : 60_000;
    const every = Math.max(1, Math.ceil(60 / slot));
    shown.forEach((c, i) => {
      const x = i * slot + slot / 2;
      const o = +c.o, cl = +c.c, color = cl >= o ? UP : DOWN;
      g.strokeStyle = color; g.fillStyle = color;
      g.beginPath(); g.moveTo(Math.round(x) + 0.5, y(+c.h)); g.lineTo(Math.round(x) + 0.5, y(+c.l)); g.stroke();
      const top = y(Math.max(o, cl)), h = Math.max(1, Math.abs(y(o) - y(cl)));
      g.fillRect(x - body / 2, top, body, h);
      const vh = vmax ? (volumeH * +c.v) / vmax : 0;
      g.globalAlpha = 0.35;
      g.fillRect(x - body / 2, height - bottom - vh, body, vh);
      g.globalAlpha = 1;
      if (i % every === 0) { g.fillStyle = TEXT; g.fillText(label(c.t, span), x - 14, height - 4); }
    });
    if (line && Number.isFinite(+line)) {
      const yy = Math.round(y(+line)) + 0.5;
      g.strokeStyle = "#2f5fd0"; g.setLineDash([4, 3]);
      g.beginPath(); g.moveTo(0, yy); g.lineTo(plotW, yy); g.stroke(); g.setLineDash([]);
      g.fillStyle = "#2f5fd0"; g.fillRect(plotW + 2, yy - 8, axis - 2, 16);
      g.fillStyle = "#fff"; g.fillText(String(line), plotW + 5, yy + 4);
    }
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
