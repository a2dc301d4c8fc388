// The order form: a limit or market order (with TP/SL) signed in the browser, the market's
// leverage and margin mode as the account really has them (activeAssetData), a price or size
// typed off the market's tick or lot rounded (and said so), and the estimate: notional, initial
// margin, the fee at the account's tier with this hour's L1 data fee (feeSchedule) and the liquidation price after the fill
// (estimate.js does the arithmetic). The trade view hands it what it shows through `init`:
// view.context() -> {coin, szDecimals, book, mark, account (clearinghouseState), user,
// tiers}, view.afterAction() (refetch the account after an action).
"use strict";

L2.orderForm = (() => {
  const { el, num, pct, usd, price, size, say } = L2.ui;
  const api = L2.api;
  const E = L2.estimate;
  const $ = (id) => document.getElementById(id);
  const SLIPPAGE = 0.05;  // market orders: the SDK's default
  const TRIGGER_SLIPPAGE = 0.1;  // TP/SL market triggers: the limit that bounds their fill
  const FEES_PERIOD_MS = 60_000;
  const FIELDS = [["px", "price", "price"], ["sz", "size", "size"],
                  ["tp", "take profit", "price"], ["sl", "stop loss", "price"]];

  const s = {
    view: null,
    setting: null,  // {key: user/coin, cross, leverage}: the market's setting (activeAssetData)
    fees: null,  // {user, taker, maker, l1}: the account's rates (feeSchedule)
    rounded: {},  // input id -> the value the form rounded it to (its hint stays while it does)
  };

  // What the hints and the estimate read: the view's context with the form's own knowledge.
  function context() {
    const ctx = s.view.context();
    return { ...ctx, setting: s.setting?.key === `${ctx.user}/${ctx.coin}` ? s.setting : null,
             fees: s.fees?.user === ctx.user ? s.fees : null, rounded: s.rounded };
  }

  // The form's controls, hints and estimate after any change (a keystroke, a new account).
  function changed() {
    const market = $("otype").value === "market";
    $("px").disabled = market;
    $("px").closest("label").hidden = market;  // a market order's price is the slippage bound
    $("tif").disabled = market;
    $("tpsl-fields").hidden = !$("tpsl").checked;
    const buy = side() === "buy";
    const place = $("place");
    place.className = buy ? "buy" : "sell";
    place.textContent = `${market ? "Market" : "Limit"} ${buy ? "buy" : "sell"}`;
    const ctx = context();
    showRounding(ctx);
    showEstimate(ctx);
  }

  // Another market: a price or size typed for the last one means nothing here.
  function reset() {
    for (const id of ["px", "sz", "tp", "sl"]) $(id).value = "";
    s.rounded = {};
    s.setting = null;
    changed();
  }

  // ----- hints and estimate ----------------------------------------------------------------
  function side() { return document.querySelector('input[name="side"]:checked').value; }

  // A field's value on the market's tick or lot: {text, rounded}, or null (not a number).
  function onGrid(id, kind, szDecimals) {
    if (szDecimals === undefined) return null;
    return kind === "size" ? E.roundSize($(id).value, szDecimals) : E.roundPrice($(id).value, szDecimals);
  }

  // The price and size the order is sent with ({px, sz} as wire texts; px null for a market
  // order); throws the trader's mistake.
  function values(ctx) {
    const sz = onGrid("sz", "size", ctx.szDecimals);
    if (!$("sz").value.trim()) throw new Error("enter a size");
    if (E.decimalText($("sz").value) === null) throw new Error("the size is a positive number");
    if (!sz) throw new Error(`the size is below the lot (${lot(ctx)} ${ctx.coin})`);
    if ($("otype").value === "market") return { px: null, sz: sz.text };
    if (!$("px").value.trim()) throw new Error("enter a price");
    const px = onGrid("px", "price", ctx.szDecimals);
    if (!px) throw new Error("the price is a positive number");
    return { px: px.text, sz: sz.text };
  }

  // A trigger price (take profit or stop loss) on the tick, or "" when none is typed.
  function triggerPrice(id, ctx) {
    if (!$(id).value.trim()) return "";
    const px = onGrid(id, "price", ctx.szDecimals);
    if (!px) throw new Error("a trigger price is a positive number");
    return px.text;
  }

  function lot(ctx) { return (10 ** -ctx.szDecimals).toFixed(ctx.szDecimals); }

  // "price rounded to 97,102 (tick)" for each field typed off the tick or lot, or rounded by
  // the form when the trader left it (the hint stays while that value does).
  function showRounding(ctx) {
    const notes = [];
    for (const [id, label, kind] of FIELDS) {
      const input = $(id);
      if (input.disabled || input.closest("[hidden]") || !input.value.trim()) continue;
      const r = onGrid(id, kind, ctx.szDecimals);
      if (r === null) {
        if (kind === "size" && ctx.szDecimals !== undefined && E.decimalText(input.value) !== null) {
          notes.push(`size below the lot (${lot(ctx)} ${ctx.coin})`);
        }
        continue;
      }
      if (!r.rounded && ctx.rounded[id] !== input.value) continue;
      const shown = kind === "size" ? size(r.text, ctx.szDecimals) : price(r.text, ctx.szDecimals);
      notes.push(`${label} rounded to ${shown} (${kind === "size" ? "lot" : "tick"})`);
    }
    $("order-hint").replaceChildren(...notes.map((n) => el("div", n)));
  }

  // When the trader leaves a field typed off the tick or lot, it shows the value to be sent.
  function roundField(event, ctx) {
    const field = FIELDS.find(([id]) => id === event.target.id);
    if (!field) return;
    const r = onGrid(field[0], field[2], ctx.szDecimals);
    if (r?.rounded) {
      event.target.value = r.text;
      ctx.rounded[field[0]] = r.text;
    }
  }

  // The fill the form describes: {isBuy, sz, px (its average, from the book as it is), maker,
  // refused (an Alo that would cross)}, or null while the form is incomplete.
  function plannedFill(ctx) {
    const sz = onGrid("sz", "size", ctx.szDecimals);
    if (!sz || !ctx.book) return null;
    const isBuy = side() === "buy";
    const [bids, asks] = ctx.book.levels;
    const facing = isBuy ? asks : bids;
    const amount = num(sz.text);
    const best = num(facing[0]?.px);
    if ($("otype").value === "market") {
      if (!(best > 0)) return null;
      const taken = E.sweep(facing, amount, best * (isBuy ? 1 + SLIPPAGE : 1 - SLIPPAGE), isBuy);
      return { isBuy, sz: amount, px: taken.filled > 0 ? taken.px : best, maker: false };
    }
    const limit = onGrid("px", "price", ctx.szDecimals);
    if (!limit) return null;
    const px = num(limit.text);
    const crosses = best > 0 && (isBuy ? px >= best : px <= best);
    if (!crosses || $("tif").value === "Alo") return { isBuy, sz: amount, px, maker: true, refused: crosses };
    const taken = E.sweep(facing, amount, px, isBuy);  // what the book does not hold rests at px
    const average = taken.filled > 0 ? (taken.px * taken.filled + px * (amount - taken.filled)) / amount : px;
    return { isBuy, sz: amount, px: average, maker: false };
  }

  // The signed size the fill changes the position by: a reduce-only order at most closes it.
  function filledSize(ctx, fill) {
    const delta = fill.isBuy ? fill.sz : -fill.sz;
    if (!$("ro").checked) return delta;
    const held = Number(ctx.account.assetPositions.find((a) => a.position.coin === ctx.coin)?.position.szi || 0);
    if (!held || Math.sign(held) === Math.sign(delta)) return 0;
    return Math.sign(delta) * Math.min(Math.abs(delta), Math.abs(held));
  }

  function line(label, text, key, value) {
    const row = el("div", null, "est", { "data-est": key });
    if (value !== undefined) row.dataset.value = String(value);
    row.append(el("span", label, "muted"), el("span", text));
    return row;
  }

  // Notional, initial margin, fee and the liquidation price after the fill, computed the way
  // the engine computes them from the account as it is now: an estimate (the fill price comes
  // from the book as it stands, and marks move).
  function showEstimate(ctx) {
    const fill = plannedFill(ctx);
    const box = $("order-estimate");
    if (!fill || !(fill.px * fill.sz > 0) || !ctx.tiers) { box.replaceChildren(); return; }
    const setting = ctx.setting || { cross: $("margin-mode").value === "cross",
                                     leverage: Math.max(1, num($("lev").value) || 1) };
    const notional = fill.px * fill.sz;
    const im = E.initialMargin(ctx.tiers, notional, setting.leverage);
    const rows = [
      line("notional", `≈ ${usd(notional)} USDC`, "notional", notional),
      line("initial margin", `≈ ${usd(im)} USDC at ${setting.leverage}x ${setting.cross ? "cross" : "isolated"}`,
           "margin", im)];
    if (ctx.fees) {
      const rate = fill.maker ? ctx.fees.maker : ctx.fees.taker;
      const fee = notional * rate;
      const l1 = !fill.maker && ctx.fees.l1 > 0 ? `, incl. L1 data ${pct(ctx.fees.l1, 4)}` : "";
      const feeRow = line("fee", `≈ ${usd(fee, 4)} USDC (${fill.maker ? "maker" : "taker"} ${pct(rate, 4)}${l1})`, "fee", fee);
      feeRow.dataset.rate = String(rate);
      rows.push(feeRow);
      const delta = ctx.account ? filledSize(ctx, fill) : 0;
      if (ctx.account && ctx.mark > 0 && delta) {
        const after = E.afterFill({ account: ctx.account, coin: ctx.coin, mark: ctx.mark, delta,
                                    px: fill.px, fee, cross: setting.cross, leverage: setting.leverage,
                                    tiers: ctx.tiers });
        const text = after.szi === 0 ? "none: the order closes the position"
          : after.liquidationPx ? `≈ ${price(after.liquidationPx, ctx.szDecimals)} USD (estimate)` : "none within reach";
        rows.push(line("liq. price after", text, "liq", after.liquidationPx ?? ""));
      } else if (ctx.account && !delta) {
        rows.push(line("reduce-only", "no position on the other side to reduce: nothing fills", "liq"));
      }
    } else if (!ctx.user) {
      rows.push(line("fee", "pick a key or watch an address for its tier", "fee"));
    }
    if (fill.refused) rows.push(line("Alo", "would cross the book: the node refuses it", "refused"));
    box.replaceChildren(...rows);
  }

  // ----- the account's setting and tier ----------------------------------------------------
  // The leverage and margin mode the account's next order in this market really uses
  // (activeAssetData), unless the trader is editing them.
  async function refreshLeverage(force = false) {
    const { user, coin } = s.view.context();
    if (!user || !coin) return;
    const editing = [$("lev"), $("margin-mode")].includes(document.activeElement);
    if (editing && !force) return;
    const data = await api.info({ type: "activeAssetData", user, coin });
    const now = s.view.context();
    if (coin !== now.coin || user !== now.user) return;
    $("lev").value = String(data.leverage.value);
    $("margin-mode").value = data.leverage.type;
    s.setting = { key: `${user}/${coin}`, cross: data.leverage.type === "cross", leverage: data.leverage.value };
    changed();
  }

  // True when the setting shown is not the account's for this market yet.
  function settingStale() {
    const { user, coin } = s.view.context();
    return s.setting?.key !== `${user}/${coin}`;
  }

  // The account's fee rates (feeSchedule with its user: the tier's taker rate plus this hour's
  // L1 data fee, and the maker rate), once a minute and for each new account.
  async function refreshFees(user) {
    if (s.fees?.user === user && !api.due("fees", FEES_PERIOD_MS)) return;
    const rates = (await api.info({ type: "feeSchedule", user })).user;
    if (user === s.view.context().user) {
      s.fees = { user, taker: num(rates.takerRate), maker: num(rates.makerRate),
                 l1: num(rates.takerRate) - num(rates.tierTakerRate) };
    }
  }

  // ----- signing and sending ---------------------------------------------------------------
  function marketPrice(coin, isBuy, reference, slippage) {
    const m = api.market(coin);
    return L2Sign.slippagePrice(reference, isBuy, slippage, m.szDecimals);
  }

  // The SDK's reference for market orders: allMids at the moment of sending.
  async function midPrice(coin) {
    const mids = await api.info({ type: "allMids" });
    const mid = num(mids[coin]);
    if (!Number.isFinite(mid) || mid <= 0) throw new Error(`no price to trade ${coin} against`);
    return mid;
  }

  // A price the node would refuse, said before signing (the node's words, and the rule).
  function checkPrice(px, m) {
    if (!L2Sign.priceIsValid(px, m.szDecimals)) {
      throw new Error(`Price must be divisible by tick size. asset=${m.asset} (${m.name} prices: ` +
        `whole numbers, or at most 5 significant figures and ${6 - m.szDecimals} decimals)`);
    }
  }

  // The order action the form describes, prices on the tick and sizes on the lot (throws a
  // readable Error when it is incomplete).
  async function orderFromForm() {
    const ctx = context();
    const coin = ctx.coin;
    const m = api.market(coin);
    if (!m) throw new Error("pick a market");
    const isBuy = side() === "buy";
    const typed = values(ctx);
    let px, type;
    if (typed.px === null) {
      px = marketPrice(coin, isBuy, await midPrice(coin), SLIPPAGE);
      type = L2Sign.limitType("Ioc");
    } else {
      px = typed.px;
      checkPrice(px, m);
      type = L2Sign.limitType($("tif").value);
    }
    const orders = [L2Sign.orderWire(m.asset, isBuy, px, typed.sz, $("ro").checked, type)];
    let grouping = "na";
    if ($("tpsl").checked) {
      for (const [id, kind] of [["tp", "tp"], ["sl", "sl"]]) {
        const trigger = triggerPrice(id, ctx);
        if (!trigger) continue;
        checkPrice(trigger, m);
        const limit = marketPrice(coin, !isBuy, num(trigger), TRIGGER_SLIPPAGE);
        orders.push(L2Sign.orderWire(m.asset, !isBuy, limit, typed.sz, true,
                                     L2Sign.triggerType(trigger, true, kind)));
      }
      if (orders.length === 1) throw new Error("enter a take-profit or a stop-loss price");
      grouping = "normalTpsl";
    }
    return { type: "order", orders, grouping };
  }

  async function placeOrder(event) {
    event.preventDefault();
    const out = $("order-reply");
    $("place").disabled = true;
    try {
      const result = await api.exchange(await orderFromForm());
      say(out, result.text, result.ok);
      await s.view.afterAction();
    } catch (err) {
      say(out, err.message, false);
    } finally { $("place").disabled = false; }
  }

  async function setLeverage() {
    const { coin } = s.view.context();
    const m = api.market(coin);
    const leverage = Number($("lev").value);
    const out = $("order-reply");
    if (!m || !Number.isInteger(leverage) || leverage < 1) { say(out, "leverage is a whole number from 1", false); return; }
    const result = await api.exchange({ type: "updateLeverage", asset: m.asset,
      isCross: $("margin-mode").value === "cross", leverage });
    say(out, result.ok ? `${coin}: ${$("margin-mode").value} ${leverage}x` : result.text, result.ok);
    await s.view.afterAction();
    await refreshLeverage(true);
  }

  // The SDK's market_close: a reduce-only IOC for the whole size at the mid ± slippage.
  async function closePosition(p) {
    const m = api.market(p.coin);
    const amount = p.szi.replace("-", "");
    const isBuy = p.szi.startsWith("-");
    const px = marketPrice(p.coin, isBuy, await midPrice(p.coin), SLIPPAGE);
    const result = await api.exchange(L2Sign.orderAction(m.asset, isBuy, px, amount, "Ioc", true));
    say($("order-reply"), result.text, result.ok);
    await s.view.afterAction();
  }

  // A price from elsewhere (a click on a book level): a limit order at it.
  function usePrice(px) {
    $("px").value = px;
    $("otype").value = "limit";
    changed();
  }

  function init(view) {
    s.view = view;
    $("order").addEventListener("submit", placeOrder);
    $("order").addEventListener("input", changed);
    $("order").addEventListener("change", (e) => { roundField(e, context()); changed(); });
    $("lev-set").addEventListener("click", L2.ui.guard(setLeverage, $("order-reply")));
    changed();
  }

  return { init, changed, reset, usePrice, refreshLeverage, settingStale, refreshFees,
           closePosition };
})();
