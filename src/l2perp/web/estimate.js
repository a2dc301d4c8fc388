// The order form's and the markets table's arithmetic, pure functions over what /info answered:
// a price to the market's tick and a size to its lot, the liquidation price an order leaves
// (the engine's formula, engine/views.py) and its fee at the account's rate. Amounts in USDC, prices in USD, sizes in coins, rates as
// plain fractions (0.00045 = 0.045%); floats, so every figure here is an estimate for display.
"use strict";

L2.estimate = (() => {
  // ----- tick and lot ----------------------------------------------------------------------
  // A typed decimal ("97,102.37" -> "97102.37"), or null when it is not a number.
  function decimalText(text) {
    const s = String(text ?? "").trim().replace(/,/g, "");
    if (!/^\d+(\.\d*)?$|^\.\d+$/.test(s)) return null;
    return (s.startsWith(".") ? "0" + s : s).replace(/\.$/, "");
  }

  // `s` (a decimal text) rounded half up to `decimals` decimals, trailing zeros dropped.
  function roundHalfUp(s, decimals) {
    const [whole, frac = ""] = s.split(".");
    if (frac.length <= decimals) return trim(s);
    const kept = BigInt(whole + frac.slice(0, decimals)) + (frac[decimals] >= "5" ? 1n : 0n);
    const digits = kept.toString().padStart(decimals + 1, "0");
    return trim(decimals ? `${digits.slice(0, -decimals)}.${digits.slice(-decimals)}` : digits);
  }

  function trim(s) {
    const t = s.includes(".") ? s.replace(/0+$/, "").replace(/\.$/, "") : s;
    return t.replace(/^0+(?=\d)/, "");
  }

  // Hyperliquid's perp price rule: a whole number always passes, else at most 5 significant
  // figures and at most 6 - szDecimals decimals. {text, rounded} with the nearest valid price
  // (half up), or null when `typed` is not a positive number.
  function roundPrice(typed, szDecimals) {
    const s = decimalText(typed);
    if (s === null || Number(s) <= 0) return null;
    const x = Number(s);
    let text = roundHalfUp(s, L2.ui.priceDecimals(x, szDecimals));  // 5 figures, 6 - szDecimals
    if (Number(text) <= 0) return null;
    text = trim(text);
    return { text, rounded: text !== trim(s) };
  }

  // A size to the market's lot (szDecimals decimals, half up, as the SDK's round does).
  // {text, rounded}, or null when it is not a number or rounds to nothing.
  function roundSize(typed, szDecimals) {
    const s = decimalText(typed);
    if (s === null) return null;
    const text = roundHalfUp(s, szDecimals);
    if (Number(text) <= 0) return null;
    return { text, rounded: text !== trim(s) };
  }

  // ----- margin ----------------------------------------------------------------------------
  // A market's margin tiers [{lowerBound (USDC), maxLeverage}] in ascending order; without a
  // table (an older node's meta) the one tier meta's maxLeverage names.
  function tiersOf(table, maxLeverage) {
    return table && table.length ? table : [{ lowerBound: 0, maxLeverage }];
  }

  // The tier of a notional: the last whose lower bound it strictly exceeds (engine/margin.py).
  function tierIndex(tiers, notional) {
    let i = tiers.length - 1;
    while (i > 0 && notional <= tiers[i].lowerBound) i -= 1;
    return i;
  }

  // Hyperliquid's margin tiers: maintenance rate 1 / (2 x the tier's max leverage), with the
  // deduction that keeps the maintenance margin continuous at each tier's lower bound.
  function maintenance(tiers, notional) {
    let deduction = 0;
    const rates = tiers.map((t) => 1 / (2 * t.maxLeverage));
    const i = tierIndex(tiers, notional);
    for (let k = 1; k <= i; k++) deduction += tiers[k].lowerBound * (rates[k] - rates[k - 1]);
    return { rate: rates[i], margin: notional > 0 ? notional * rates[i] - deduction : 0 };
  }

  // notional / min(leverage, the tier's max leverage) (engine/margin.py initial_margin).
  function initialMargin(tiers, notional, leverage) {
    return notional / Math.min(leverage, tiers[tierIndex(tiers, notional)].maxLeverage);
  }

  // engine/views.py liquidation_price: mark - side x available / |size| / (1 - side x rate);
  // null when no positive price reaches it.
  function liquidationPrice(mark, szi, available, mmRate) {
    const side = szi > 0 ? 1 : -1;
    const denominator = Math.abs(szi) * (1 - side * mmRate);
    if (!szi || denominator <= 0) return null;
    const px = mark - (side * available) / denominator;
    return px > 0 ? px : null;
  }

  // The average price of taking `size` from `levels` ([{px, sz}] best first, each at most
  // `limit` for a limited order); {px, filled}: the part the book holds and its average.
  function sweep(levels, size, limit, isBuy) {
    let left = size, cost = 0;
    for (const l of levels || []) {
      const px = Number(l.px);
      if (left <= 0 || (limit && (isBuy ? px > limit : px < limit))) break;
      const take = Math.min(left, Number(l.sz));
      cost += take * px;
      left -= take;
    }
    const filled = size - left;
    return { px: filled > 0 ? cost / filled : NaN, filled };
  }

  // The account after a fill of `delta` coins (signed) at `px` paying `fee`, at the setting
  // {cross, leverage}: the position's size and the liquidation price the engine would report,
  // with the unit's other positions held at their marks. `account` is clearinghouseState,
  // `tiers` the market's margin tiers.
  function afterFill({ account, coin, mark, delta, px, fee, cross, leverage, tiers }) {
    const held = account?.assetPositions?.find((a) => a.position.coin === coin)?.position;
    const s0 = held ? Number(held.szi) : 0;
    const s1 = s0 + delta;
    if (Math.abs(s1) < 1e-12) return { szi: 0, liquidationPx: null };
    const mm1 = maintenance(tiers, Math.abs(s1) * mark);
    const pnl = delta * (mark - px);  // the fill's price against the mark, at once
    let available;
    if (cross) {
      const value = Number(account?.crossMarginSummary?.accountValue || 0) + pnl - fee;
      const mm = Number(account?.crossMaintenanceMarginUsed || 0)
        - maintenance(tiers, Math.abs(s0) * mark).margin + mm1.margin;
      available = value - mm;
    } else {
      const equity0 = held ? Number(held.marginUsed) : 0;  // isolated: margin cash + size x mark
      let equity;
      if (!s0 || Math.sign(s0) === Math.sign(delta)) {  // opening or adding: its initial margin
        equity = equity0 + initialMargin(tiers, Math.abs(s1) * px, leverage)
          - initialMargin(tiers, Math.abs(s0) * px, leverage) + pnl;
      } else if (Math.sign(s1) === Math.sign(s0)) {  // reducing: the margin leaves pro rata
        equity = (equity0 + s0 * (px - mark)) * (s1 / s0) + s1 * (mark - px);
      } else {  // flipping: the old side is closed, the new side brings its initial margin
        equity = initialMargin(tiers, Math.abs(s1) * px, leverage) + s1 * (mark - px);
      }
      available = equity - fee - mm1.margin;
    }
    return { szi: s1, liquidationPx: liquidationPrice(mark, s1, available, mm1.rate) };
  }

  return { decimalText, roundPrice, roundSize, tiersOf, maintenance, initialMargin,
           liquidationPrice, sweep, afterFill };
})();
