// The trade view: markets, candles, the live book and trades (websocket), the order form
// (orderform.js), and the account (positions with their margin health (health.js), open
// orders, fills, funding, transfers).
// Polling budget (weight a minute, of Hyperliquid's 1,200): clearinghouseState every second
// (2 x 60 = 120), metaAndAssetCtxs every 10 s (20 x 6 = 120), open orders every 5 s, or every
// 3 s while the user's order updates stream in (at most 20 x 20 = 400), fills and funding every
// 15 s, or 10 s while their tab is open or fills stream in (at most 2 x 20 x 6 = 240), the
// market's leverage (activeAssetData) every 10 s (20 x 6 = 120), marginHealth every 10 s while
// the account holds positions (120), feeSchedule every minute (20): at most 1,140 (margin tiers
// come with the markets' meta). The book, trades, candles and the
// selected market's context come over /ws; the user's own actions refetch at once.
"use strict";

L2.trade = (() => {
  const { el, row, fill, button, kv, num, pct, signed, usd, short, when, say, guard, ADDRESS,
          price, size, priceDecimals, compactUsd } = L2.ui;
  const api = L2.api;
  const E = L2.estimate;
  const $ = (id) => document.getElementById(id);

  const s = {
    coin: localStorage.getItem("l2perp.coin") || "", interval: "5m", candles: [], ctx: null,
    book: null, trades: [], watch: localStorage.getItem("l2perp.watch") || "", tab: "positions",
    subscribed: null, candlesFor: "", meta: null, ctxs: [], userSubs: [],
    hover: null, groupTicks: 1, groupsFor: "",
    now: 0,  // the last block time seen (ms; a devnet may run ahead of the clock)
    account: null,  // the shown account's last clearinghouseState
    accountFor: "",  // whose it is
    risk: { tiers: {} },  // margin tiers by asset (meta's marginTables)
  };
  const GROUP_TICKS = [1, 10, 100, 1000];  // the book's price grouping, in ticks
  const BOOK_ROWS = 8;  // levels shown on each side
  // activeAssetData at 5 s cost 240 a minute and took the page past the 1,200 budget
  const LEVERAGE_PERIOD_MS = 10_000;
  const MARKETS_PERIOD_MS = 10_000;  // the selected market's context streams over /ws

  // The market's size decimals (undefined before the universe is known: generic formatting).
  function szd(coin) { return api.market(coin)?.szDecimals; }
  function fmtPx(coin) { const d = szd(coin); return (p) => price(p, d); }
  const ACCOUNT_SOURCES = ["orders", "history"];

  function user() { return api.wallet.address || s.watch; }

  // Hyperliquid reports funding paid as positive; the table shows what the user received.
  function negate(text) { return text.startsWith("-") ? text.slice(1) : text === "0" ? text : "-" + text; }

  // ----- markets ---------------------------------------------------------------------------
  async function refreshMarkets() {
    if (!api.due("markets", MARKETS_PERIOD_MS) && s.meta) return;
    const [meta, ctxs] = await api.info({ type: "metaAndAssetCtxs" });
    s.meta = meta;
    s.ctxs = ctxs;
    readTiers(meta);
    api.setUniverse(meta.universe);
    const listed = meta.universe.some((m) => m.name === s.coin);
    const coin = listed ? s.coin : meta.universe.find((m) => !m.isDelisted)?.name;
    if (coin) selectCoin(coin);  // the remembered market, else the first listed
    fill($("markets").tBodies[0], meta.universe.map((m, i) => marketRow(m, ctxs[i])));
    showContext();
  }

  function marketRow(m, c) {
    const change = num(c.prevDayPx) ? num(c.markPx) / num(c.prevDayPx) - 1 : NaN;
    const oiUsd = num(c.openInterest) * num(c.markPx);  // open interest is counted in coins
    const tr = row([m.name + (m.isDelisted ? " (delisted)" : ""), price(c.markPx, m.szDecimals),
      price(c.oraclePx, m.szDecimals), { text: pct(change), cls: change > 0 ? "up" : change < 0 ? "down" : "" },
      { text: pct(predictedFunding(c), 4), cls: "predicted" }, usd(oiUsd, 0), usd(c.dayNtlVlm, 0),
      `${m.maxLeverage}x`], m.name === s.coin ? "selected" : "");
    tr.dataset.coin = m.name;
    tr.addEventListener("click", () => { selectCoin(m.name); L2.app.tick(); });
    return tr;
  }

  // The selected market's figures above the chart (from the last markets fetch).
  function showContext() {
    const i = s.meta ? s.meta.universe.findIndex((m) => m.name === s.coin) : -1;
    s.ctx = i >= 0 ? s.ctxs[i] : null;
    const d = szd(s.coin), c = s.ctx;
    $("chart-stats").textContent = c ? `mark $${price(c.markPx, d)} · oracle $${price(c.oraclePx, d)} · ` +
      `funding ${pct(predictedFunding(c), 4)}/h predicted, ${pct(num(c.funding), 4)}/h last paid · ` +
      `OI ${compactUsd(num(c.openInterest) * num(c.markPx))} ` +
      `(${size(c.openInterest, d)} ${s.coin}) · 24h volume ${compactUsd(num(c.dayNtlVlm))}` : "";
  }

  // The hourly rate this hour would pay on its premium samples so far (the node's
  // engine/funding.predicted_rate, in the market's context).
  function predictedFunding(ctx) {
    return num(ctx.predictedFunding);
  }

  // The websocket feeds of one market: its book, its trades, its candles at `interval` (the
  // third: the interval select swaps it) and its context.
  function coinFeeds(coin, interval) {
    return [{ type: "l2Book", coin }, { type: "trades", coin }, { type: "candle", coin, interval },
            { type: "activeAssetCtx", coin }];
  }

  // The selected market's context as the websocket pushes it each block, drawn once a frame.
  let contextPending = false;
  function contextPushed(data) {
    const i = s.meta ? s.meta.universe.findIndex((m) => m.name === data.coin) : -1;
    if (i < 0 || data.coin !== s.coin) return;
    s.ctxs[i] = data.ctx;
    if (contextPending) return;
    contextPending = true;
    requestAnimationFrame(() => {
      contextPending = false;
      showContext();
      const k = s.meta.universe.findIndex((m) => m.name === s.coin);
      const shown = $("markets").tBodies[0].querySelector(`tr[data-coin="${s.coin}"]`);
      if (k >= 0 && shown) shown.replaceWith(marketRow(s.meta.universe[k], s.ctxs[k]));
    });
  }

  // Margin tiers: each market's table in meta (marginTables, lower bounds in USDC), as
  // governance keeps it.
  function readTiers(meta) {
    const tables = new Map((meta.marginTables || []).map(([id, t]) => [id, t.marginTiers]));
    const tiers = {};
    meta.universe.forEach((m, asset) => {
      tiers[asset] = (tables.get(m.marginTableId) || []).map((t) => ({
        lowerBound: num(t.lowerBound), maxLeverage: t.maxLeverage }));
    });
    s.risk.tiers = tiers;
  }

  function tiersOf(coin) {
    const m = api.market(coin);
    return m ? E.tiersOf(s.risk.tiers[m.asset]?.filter(Boolean), m.maxLeverage) : null;
  }

  // What the order form reads of the view (orderform.js).
  function formContext() {
    const address = user();
    return { coin: s.coin, szDecimals: szd(s.coin), book: s.book, mark: num(s.ctx?.markPx),
             account: s.accountFor === address ? s.account : null, user: address,
             tiers: tiersOf(s.coin) };
  }

  function selectCoin(coin) {
    if (coin === s.coin && s.subscribed === coin) return;
    if (s.subscribed) for (const sub of coinFeeds(s.subscribed, s.interval)) api.feed.unsubscribe(sub);
    s.coin = coin;
    localStorage.setItem("l2perp.coin", coin);
    s.book = null; s.trades = []; s.candles = []; s.candlesFor = "";
    for (const sub of coinFeeds(coin, s.interval)) api.feed.subscribe(sub);
    s.subscribed = coin;
    $("chart-coin").textContent = coin;
    $("book-coin").textContent = coin;
    $("sz-unit").textContent = `(${coin})`;
    for (const unit of document.querySelectorAll(".coin-unit")) unit.textContent = `(${coin})`;
    s.groupTicks = 1; s.groupsFor = ""; s.hover = null;
    for (const tr of $("markets").tBodies[0].rows) tr.classList.toggle("selected", tr.dataset.coin === coin);
    showContext();
    renderBook(); renderTrades();
    L2.orderForm.reset();  // a price or size typed for another market means nothing here
    L2.orderForm.refreshLeverage().catch(() => {});  // the next account refresh tries again
  }

  // ----- candles ---------------------------------------------------------------------------
  const SPANS = { "1m": 60e3, "5m": 300e3, "15m": 900e3, "1h": 3600e3, "4h": 14400e3, "1d": 86400e3 };

  async function loadCandles() {
    const coin = s.coin, interval = s.interval;
    const now = s.book?.time || Date.now();  // block time (a devnet may run ahead of the clock)
    const rows = await api.info({ type: "candleSnapshot", req: {
      coin, interval, startTime: now - 300 * SPANS[interval], endTime: now + SPANS[interval] } });
    if (coin !== s.coin || interval !== s.interval) return;
    s.candles = rows.slice(-300);
    s.candlesFor = `${coin}/${interval}`;
    drawChart();
  }

  function drawChart() {
    const hovered = L2.chart.draw($("chart"), s.candles, { mark: s.ctx?.markPx, fmt: fmtPx(s.coin), hover: s.hover });
    showReadout(hovered || s.candles[s.candles.length - 1], Boolean(hovered));
  }

  // The OHLC and volume of the candle under the crosshair (else the latest), above the chart.
  function showReadout(c, hovered) {
    const box = $("chart-readout");
    if (!c) { box.replaceChildren(); return; }
    const f = fmtPx(s.coin);
    const change = num(c.o) ? num(c.c) / num(c.o) - 1 : NaN;
    const parts = [["O", f(c.o)], ["H", f(c.h)], ["L", f(c.l)], ["C", f(c.c)],
      ["V", `${size(c.v, szd(s.coin))} ${s.coin}`]];
    box.replaceChildren(el("span", when(c.t).slice(5, 16), "muted"), ...parts.map(([k, v]) => {
      const span = el("span", null, "ohlc");
      span.append(el("b", k), " ", el("span", v, null, { "data-field": k }));
      return span;
    }), el("span", pct(change), change >= 0 ? "up" : "down"));
    box.dataset.t = c.t;
    box.classList.toggle("hovered", hovered);
  }

  let chartPending = false;
  function pointerAt(event) {
    s.hover = event ? { x: event.offsetX, y: event.offsetY } : null;
    if (chartPending) return;
    chartPending = true;
    requestAnimationFrame(() => { chartPending = false; drawChart(); });
  }

  // ----- book and trades -------------------------------------------------------------------
  // The market's price tick near `px`: 5 significant figures, at most 6 - szDecimals decimals.
  function tickNear(px, szDecimals) { return 10 ** -priceDecimals(px, szDecimals); }

  // Levels merged into buckets of `step` (bids down, asks up to the step: a bucket's price is
  // one every order in it is at least as good as), with the cumulative size from the best.
  function groupLevels(levels, step, isBid, decimals, raw) {
    const out = [];
    let total = 0;
    for (const l of levels) {
      const p = num(l.px), sz = num(l.sz);
      const k = raw ? p : isBid ? Math.floor(p / step + 1e-9) : Math.ceil(p / step - 1e-9);
      const last = out[out.length - 1];
      total += sz;
      if (last && last.k === k) { last.sz += sz; last.n += l.n; last.cum = total; continue; }
      out.push({ k, px: raw ? l.px : (k * step).toFixed(decimals), sz, n: l.n, cum: total });
    }
    return out;
  }

  // The grouping choices for this market's tick (rebuilt when the market or its tick changes).
  function groupChoices(tick, decimals) {
    const key = `${s.coin}/${tick}`;
    if (s.groupsFor === key) return;
    s.groupsFor = key;
    $("book-group").replaceChildren(...GROUP_TICKS.map((n) => {
      const step = tick * n;
      return el("option", step.toFixed(Math.max(0, decimals - Math.log10(n))), null,
                { value: n, ...(n === s.groupTicks ? { selected: "" } : {}) });
    }));
    $("book-group").value = String(s.groupTicks);
  }

  function renderBook() {
    const tbody = $("book").tBodies[0];
    L2.depth.draw($("depth"), s.book, fmtPx(s.coin), s.coin);
    if (!s.book) { fill(tbody, [], "waiting for the book…"); return; }
    const [bids, asks] = s.book.levels;
    const d = szd(s.coin);
    const best = num(bids[0]?.px ?? asks[0]?.px);
    const tick = tickNear(best, d), tickDecimals = priceDecimals(best, d);
    groupChoices(tick, tickDecimals);
    const step = tick * s.groupTicks;
    const decimals = Math.max(0, tickDecimals - Math.round(Math.log10(s.groupTicks)));
    const raw = s.groupTicks === 1;
    const top = groupLevels(asks, step, false, decimals, raw).slice(0, BOOK_ROWS).reverse();
    const bottom = groupLevels(bids, step, true, decimals, raw).slice(0, BOOK_ROWS);
    const deepest = Math.max(1e-12, top[0]?.cum || 0, bottom[bottom.length - 1]?.cum || 0);
    const line = (l, cls) => {
      const tr = row([price(l.px, d, decimals), size(l.sz, d), size(l.cum, d)], cls);
      tr.dataset.px = l.px;  // a click on the row fills the price in (one listener, in init)
      tr.title = `${l.n} order${l.n === 1 ? "" : "s"}`;
      tr.style.setProperty("--depth", `${(100 * l.cum) / deepest}%`);
      return tr;
    };
    const rows = top.map((l) => line(l, "ask"));
    if (bids[0] && asks[0]) {
      const spread = num(asks[0].px) - num(bids[0].px);
      const mid = (num(asks[0].px) + num(bids[0].px)) / 2;
      rows.push(row([`spread ${price(spread, d, tickDecimals)}`, pct(spread / mid, 3), ""], "spread"));
    }
    fill(tbody, rows.concat(bottom.map((l) => line(l, "bid"))), "empty book");
  }

  function renderTrades() {
    fill($("trades").tBodies[0], s.trades.slice(0, 12).map((t) =>
      row([{ text: price(t.px, szd(s.coin)), cls: t.side === "B" ? "up" : "down" }, size(t.sz, szd(s.coin)),
           new Date(t.time).toISOString().slice(11, 19)])), "no trades yet");
  }

  // The book and trades arrive every block; draw them at most once per frame.
  let drawPending = false;
  function drawFeedsSoon() {
    if (drawPending) return;
    drawPending = true;
    requestAnimationFrame(() => { drawPending = false; renderBook(); renderTrades(); });
  }

  // ----- account ---------------------------------------------------------------------------
  async function refreshAccount() {
    const address = user();
    $("account-address").textContent = address ? short(address) + (api.wallet.address ? "" : " (watching)") : "";
    if (!address) {
      $("account-summary").replaceChildren(el("p", "Pick a devnet key (top right) or watch an address.", "muted"));
      for (const id of ["positions", "open-orders", "fills", "funding"]) fill($(id).tBodies[0], [], "-");
      L2.health.follow("");
      return;
    }
    followUser(address);
    const ordersDue = api.due("orders", 5000);
    const [account, orders] = await Promise.all([
      api.info({ type: "clearinghouseState", user: address }),
      ordersDue ? api.info({ type: "frontendOpenOrders", user: address }) : null]);
    if (address !== user()) return;  // the wallet changed while this was in flight
    s.account = account;
    s.accountFor = address;
    s.now = Math.max(s.now, account.time || 0);
    renderAccount();
    if (orders) renderOrders(orders);
    if (L2.orderForm.settingStale() || api.due("leverage", LEVERAGE_PERIOD_MS)) await L2.orderForm.refreshLeverage();
    const historyPeriod = s.tab === "fills" || s.tab === "funding" ? 10_000 : 15_000;
    if (api.due("history", historyPeriod)) await refreshHistory(address, account.time);
    await L2.health.refresh(address, account.assetPositions.length > 0);
    await L2.orderForm.refreshFees(address);
    L2.orderForm.changed();  // the estimate follows the account
  }

  // The account's summary and positions, each position with its margin health (health.js):
  // maintenance used, the distance to its liquidation price, the waterfall's stage prices, and
  // the row coloured by the trader's alert thresholds.
  function renderAccount() {
    const account = s.account;
    if (!account || s.accountFor !== user()) return;
    const ms = account.marginSummary;
    const cross = L2.health.unit("cross");
    $("account-summary").replaceChildren(kv([
      ["account value", `$${usd(ms.accountValue)}`], ["position notional", `$${usd(ms.totalNtlPos)}`],
      ["margin used", `$${usd(ms.totalMarginUsed)}`],
      ["maintenance (cross)", `$${usd(account.crossMaintenanceMarginUsed)}`],
      ["withdrawable", `$${usd(account.withdrawable)}`],
      ["maint. used (cross)", cross ? L2.health.pctText(cross.maintenanceUsedPct) : "-",
       `health-${L2.health.levelOf(cross?.maintenanceUsedPct) || "ok"}`]], "summary"));
    fill($("positions").tBodies[0], account.assetPositions.map(({ position: p }) => positionRow(p)),
         "no open positions");
  }

  function positionRow(p) {
    const d = szd(p.coin);
    const mark = num(p.positionValue) / Math.abs(num(p.szi));
    const lev = p.leverage.type === "cross" ? `cross ${p.leverage.value}x` : `isolated ${p.leverage.value}x`;
    const funding = negate(p.cumFunding.sinceOpen);
    const h = L2.health.position(p.coin);
    const level = h ? L2.health.levelOf(h.maintenanceUsedPct) : "";
    const stages = h ? ["backstop", "bankruptcy"].map((k) => h.stages[k] ? price(h.stages[k], d) : "-")
      .join(" / ") : "-";
    const tr = row([p.coin, signed(p.szi, size(p.szi, d)), price(p.entryPx, d), price(mark, d),
      usd(p.positionValue), { text: `${usd(p.unrealizedPnl)} (${pct(num(p.returnOnEquity))})`,
                               cls: num(p.unrealizedPnl) >= 0 ? "up" : "down" },
      { text: p.liquidationPx ? price(p.liquidationPx, d) : "-", cls: "liq" }, `${usd(p.marginUsed)} ${lev}`,
      { text: h ? L2.health.pctText(h.maintenanceUsedPct) : "-", cls: "health-used" },
      L2.health.distanceText(h?.distanceToLiquidationPct), stages,
      signed(funding, usd(funding, 4)), p.adlRank ? p.adlRank : "-",
      api.wallet.address ? button("close", guard(() => L2.orderForm.closePosition(p), $("order-reply")), "quiet") : ""],
    level ? `health-${level}` : "");
    tr.dataset.coin = p.coin;
    tr.dataset.health = level || "ok";
    return tr;
  }

  // Account actions and the user's websocket events refetch orders and history at once.
  async function afterAction() {
    api.expire(...ACCOUNT_SOURCES, "markets", "health");
    await refreshAccount();
  }

  // Subscribe to the shown account's fills and order updates (one account at a time).
  function followUser(address) {
    L2.health.follow(address);
    const subs = [{ type: "orderUpdates", user: address }, { type: "userFills", user: address }];
    if (s.userSubs[0]?.user === address) return;
    for (const sub of s.userSubs) api.feed.unsubscribe(sub);
    for (const sub of subs) api.feed.subscribe(sub);
    s.userSubs = subs;
  }

  function renderOrders(orders) {
    fill($("open-orders").tBodies[0], orders.map((o) => {
      const m = api.market(o.coin);
      const tr = row([o.coin, o.orderType, { text: o.side === "B" ? "buy" : "sell", cls: o.side === "B" ? "up" : "down" },
        price(o.limitPx, szd(o.coin)), `${size(o.sz, szd(o.coin))} / ${size(o.origSz, szd(o.coin))}`,
        o.isTrigger ? o.triggerCondition : "-",
        o.reduceOnly ? "yes" : "", when(o.timestamp),
        api.wallet.address && m ? button("cancel", guard(async () => {
          const result = await api.exchange({ type: "cancel", cancels: [{ a: m.asset, o: o.oid }] });
          say($("order-reply"), result.ok ? `cancelled ${o.oid}` : result.text, result.ok);
          await afterAction();
        }, $("order-reply")), "quiet") : ""]);
      tr.dataset.oid = o.oid;
      tr.dataset.px = o.limitPx;
      return tr;
    }), "no open orders");
  }

  // Fills (newest 100) and funding payments of the last 30 days (block time `now`).
  async function refreshHistory(address, now) {
    const [fills, funding] = await Promise.all([
      api.info({ type: "userFills", user: address }),
      api.info({ type: "userFunding", user: address, startTime: Math.max(0, now - 30 * 86_400_000) })]);
    if (address !== user()) return;
    fill($("fills").tBodies[0], fills.slice(0, 100).map((f) => row([when(f.time), f.coin,
      { text: f.dir, cls: f.side === "B" ? "up" : "down" }, price(f.px, szd(f.coin)),
      size(f.sz, szd(f.coin)), usd(f.fee, 4), signed(f.closedPnl, usd(f.closedPnl))])), "no fills yet");
    fill($("funding").tBodies[0], funding.slice(-100).reverse().map((r) => row([when(r.time),
      r.delta.coin, size(r.delta.szi, szd(r.delta.coin)), pct(num(r.delta.fundingRate), 4),
      signed(r.delta.usdc, usd(r.delta.usdc, 4))])),
    "no funding payments yet");
  }

  function showTab(name) {
    s.tab = name;
    for (const b of $("account-tabs").querySelectorAll("button")) b.classList.toggle("active", b.dataset.tab === name);
    for (const t of document.querySelectorAll(".account-card .tab")) t.hidden = t.dataset.tab !== name;
  }

  async function transfer(event, kind) {
    event.preventDefault();
    const out = $("transfer-reply");
    const [amountId, destId] = kind === "withdraw3" ? ["wd-amount", "wd-dest"] : ["send-amount", "send-dest"];
    let amount;
    try { amount = L2Sign.wireDecimal($(amountId).value); } catch (err) { say(out, err.message, false); return; }
    const destination = ($(destId).value.trim() || api.wallet.address).toLowerCase();
    if (!ADDRESS.test(destination)) { say(out, "the destination is a 0x address", false); return; }
    const result = await api.userSigned({ type: kind, destination, amount });
    say(out, result.ok ? `${kind === "withdraw3" ? "withdrawal" : "transfer"} of ${amount} USDC accepted` : result.text, result.ok);
    await afterAction();
  }

  // ----- wiring ----------------------------------------------------------------------------
  function init() {
    L2.health.init();
    L2.health.onChange(renderAccount);
    api.feed.on("l2Book", (book) => {
      s.now = Math.max(s.now, book.time || 0);
      if (book.coin === s.coin) { s.book = book; drawFeedsSoon(); }
    });
    api.feed.on("activeAssetCtx", contextPushed);
    api.feed.on("trades", (trades) => {
      const mine = trades.filter((t) => t.coin === s.coin);
      if (!mine.length) return;
      s.trades = mine.reverse().concat(s.trades).slice(0, 50);
      drawFeedsSoon();
    });
    $("book").tBodies[0].addEventListener("click", (e) => {
      const level = e.target.closest("tr[data-px]");
      if (level) L2.orderForm.usePrice(level.dataset.px);
    });
    api.feed.on("candle", (c) => {
      if (c.s === s.coin && c.i === s.interval) { L2.chart.merge(s.candles, c); drawChart(); }
    });
    $("interval").addEventListener("change", () => {
      const [, , before] = coinFeeds(s.coin, s.interval);
      s.interval = $("interval").value;
      const [, , after] = coinFeeds(s.coin, s.interval);
      api.feed.unsubscribe(before);
      api.feed.subscribe(after);
      s.candles = [];
      s.candlesFor = "";
      L2.app.tick();
    });
    L2.orderForm.init({ context: formContext, afterAction });
    $("account-tabs").addEventListener("click", (e) => { if (e.target.dataset.tab) showTab(e.target.dataset.tab); });
    $("watch-user").value = s.watch;
    $("watch").addEventListener("submit", (e) => {
      e.preventDefault();
      const address = $("watch-user").value.trim().toLowerCase();
      if (address && !ADDRESS.test(address)) { $("watch-user").setCustomValidity("a 0x address"); $("watch-user").reportValidity(); return; }
      $("watch-user").setCustomValidity("");
      s.watch = address;
      localStorage.setItem("l2perp.watch", s.watch);
      api.expire(...ACCOUNT_SOURCES);
      L2.app.tick();
    });
    const transferReply = $("transfer-reply");
    $("withdraw").addEventListener("submit", guard((e) => transfer(e, "withdraw3"), transferReply));
    $("send").addEventListener("submit", guard((e) => transfer(e, "usdSend"), transferReply));
    api.wallet.onChange(() => api.expire(...ACCOUNT_SOURCES));
    api.feed.on("orderUpdates", () => api.soon("orders", 3000));
    api.feed.on("userFills", () => { api.soon("orders", 3000); api.soon("history", 10_000); });
    api.feed.listeners.push((open) => { if (!open) { s.book = null; renderBook(); } });
    window.addEventListener("resize", () => { drawChart(); renderBook(); });
    const chart = $("chart");
    chart.addEventListener("pointermove", pointerAt);
    chart.addEventListener("pointerdown", pointerAt);
    chart.addEventListener("pointerleave", () => pointerAt(null));
    $("book-group").addEventListener("change", () => {
      s.groupTicks = Number($("book-group").value) || 1;
      renderBook();
    });
  }

  async function refresh() {
    await refreshMarkets();
    if (s.candlesFor !== `${s.coin}/${s.interval}`) await loadCandles(); else drawChart();
    await refreshAccount();
  }

  return { init, refresh, selectCoin };
})();
