// The depth chart: cumulative bid and ask size (coins) against price (USD) for one market's
// l2Book, drawn as two stepped SVG areas with labelled axes. Display only: floats are fine.
"use strict";

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
