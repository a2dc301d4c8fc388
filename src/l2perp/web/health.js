// Margin health in the positions area: how close each margin unit of the shown account is to
// the liquidation waterfall (the `marginHealth` info type), and alerts when its maintenance
// margin used crosses the trader's thresholds (the `marginHealth` websocket channel pushes the
// crossings in the block they happen, with the figures). Percentages are of maintenance
// margin used (maintenance margin / the unit's value); thresholds live in localStorage.
// Polling budget: marginHealth every 10 s while the account holds positions (20 x 6 = 120).
"use strict";

L2.health = (() => {
  const { el, button, price, num, when } = L2.ui;
  const api = L2.api;
  const $ = (id) => document.getElementById(id);
  const STORE = "l2perp.healthThresholds";
  const DEFAULT_THRESHOLDS = [50, 80, 100];  // the node's defaults (api/health.py)
  const LIQUIDATING_PCT = 100;  // value below maintenance margin: the unit goes to the book
  const PERIOD_MS = 10_000;
  const MAX_ALERTS = 6;
  const REARM_MS = 60_000;
  const FAR_PCT = 1_000;

  // alerts: newest first, one per unit; dismissed: unit -> the threshold of the alert the
  // trader dismissed; belowSince: "unit/threshold" -> the block time the unit went back below it
  const s = { user: "", sub: null, health: null, alerts: [], dismissed: new Map(),
              belowSince: new Map(), listeners: [] };

  // 1 to 10 whole percents from 1 to 1,000, as the channel accepts them (api/health.py).
  function parseThresholds(text) {
    const parts = String(text).split(/[\s,;]+/).filter(Boolean);
    const list = [...new Set(parts.map(Number))].sort((a, b) => a - b);
    if (!list.length || list.length > 10 || !list.every((t) => Number.isInteger(t) && t >= 1 && t <= 1000)) {
      throw new Error("1 to 10 whole percents from 1 to 1000, e.g. 50, 80, 100");
    }
    return list;
  }

  function thresholds() {
    try { return parseThresholds(localStorage.getItem(STORE) || ""); } catch { return DEFAULT_THRESHOLDS; }
  }

  // "" (fine), "warn" (past the first threshold), "danger" (past a later one) or
  // "liquidating" (at or past 100%: value below maintenance margin).
  function levelOf(usedPct) {
    const used = usedPct === "inf" ? Infinity : num(usedPct);
    if (!(used >= 0)) return "";
    if (used >= LIQUIDATING_PCT) return "liquidating";
    const past = thresholds().filter((t) => t < LIQUIDATING_PCT && used >= t).length;
    return past >= 2 ? "danger" : past === 1 ? "warn" : "";
  }

  // The API's percentages (2 decimals, rounded down; "inf" past any value) as shown.
  function pctText(usedPct) {
    if (usedPct === "inf") return "∞%";
    return usedPct == null || !Number.isFinite(num(usedPct)) ? "-" : `${num(usedPct).toFixed(2)}%`;
  }

  // The distance to the liquidation price: "0.71%"; a position that no move within reason
  // liquidates (a small short on a large account) reads "> 1,000%".
  function distanceText(pct) {
    if (pct == null) return "-";
    return num(pct) > FAR_PCT ? `> ${FAR_PCT.toLocaleString("en-US")}%` : `${num(pct).toFixed(2)}%`;
  }

  // ----- the shown account -----------------------------------------------------------------
  function subscription(user) { return { type: "marginHealth", user, thresholds: thresholds() }; }

  // Follow `user` (one account at a time): its channel, and nothing of the previous one.
  function follow(user) {
    if (s.user === user && s.sub) return;
    if (s.sub) api.feed.unsubscribe(s.sub);
    s.user = user; s.health = null; s.alerts = []; s.dismissed.clear(); s.belowSince.clear();
    $("health-settings").hidden = !user;  // thresholds mean something once an account is shown
    s.sub = user ? subscription(user) : null;
    if (s.sub) api.feed.subscribe(s.sub);
    api.expire("health");
    render();
  }

  // The thresholds changed: the channel is subscribed anew (its snapshot says which are past).
  function resubscribe() {
    if (!s.user) return;
    if (s.sub) api.feed.unsubscribe(s.sub);
    s.sub = subscription(s.user);
    s.alerts = []; s.dismissed.clear(); s.belowSince.clear();
    api.feed.subscribe(s.sub);
    render();
  }

  // The figures by info type, every PERIOD_MS while the account holds positions (the channel
  // only speaks when a threshold is crossed; between crossings the figures drift with marks).
  async function refresh(user, holdsPositions) {
    if (user !== s.user) return;
    if (!holdsPositions) { if (s.health?.positions?.length) setHealth({ ...s.health, positions: [], units: [] }); return; }
    if (!api.due("health", PERIOD_MS)) return;
    const health = await api.info({ type: "marginHealth", user });
    if (user === s.user) setHealth(health);
  }

  function setHealth(health) {
    s.health = health;
    render();
    for (const f of s.listeners) f();
  }

  function onMessage(data) {
    if (!data?.health || data.health.user !== s.user) return;
    if (data.isSnapshot) s.alerts = [];  // a (re)subscription restates what is past
    for (const a of data.alerts || []) {
      if (a.direction === "up") raise(a, Boolean(data.isSnapshot));
      else s.belowSince.set(`${a.unit}/${a.threshold}`, a.time);
    }
    setHealth(data.health);
  }

  // An up-crossing: the unit's alert, unless it already shows this threshold or a higher one
  // (a mark that flickers across a threshold would otherwise flash it every block; the row
  // and the alert's "now" figure follow the unit as it is). Once the trader dismissed a unit's
  // alert, that threshold and those below it stay quiet until the unit has been back below the
  // one crossed for REARM_MS of block time.
  function raise(a, past) {
    const key = `${a.unit}/${a.threshold}`;
    const below = s.belowSince.get(key);
    s.belowSince.delete(key);
    if (s.alerts.some((b) => b.unit === a.unit && b.threshold >= a.threshold)) return;
    const quiet = (s.dismissed.get(a.unit) ?? 0) >= a.threshold;
    if (quiet && (below === undefined || a.time - below < REARM_MS)) return;
    s.dismissed.delete(a.unit);
    const others = s.alerts.filter((b) => b.unit !== a.unit);
    s.alerts = [{ unit: a.unit, threshold: a.threshold, usedPct: a.maintenanceUsedPct, time: a.time,
                  past }, ...others].slice(0, MAX_ALERTS);
  }

  // ----- what the positions table shows ----------------------------------------------------
  // The health figures of the position in `coin`, or null before they are known.
  function position(coin) { return s.health?.positions?.find((p) => p.coin === coin) || null; }

  function unit(label) { return s.health?.units?.find((u) => u.unit === label) || null; }

  // The unit's position nearest its liquidation price (the one an alert names).
  function nearest(label) {
    const list = (s.health?.positions || []).filter((p) => p.unit === label && p.distanceToLiquidationPct != null);
    return list.sort((a, b) => num(a.distanceToLiquidationPct) - num(b.distanceToLiquidationPct))[0] || null;
  }

  function unitName(label) { return label === "cross" ? "Cross account" : `${label} (isolated)`; }

  // "Cross account: maintenance margin used reached 83.12% at 12:03:04 UTC, past your 80%
  // alert; now 84.02%. BTC liquidates at 93,429 USD, 0.71% from the mark."
  function alertText(a) {
    const now = unit(a.unit);
    const p = nearest(a.unit);
    const szd = p ? api.market(p.coin)?.szDecimals : undefined;
    const where = p && p.stages.liquidation
      ? ` ${p.coin} liquidates at ${price(p.stages.liquidation, szd)} USD, ${distanceText(p.distanceToLiquidationPct)} from the mark.`
      : now ? "" : " The position is closed.";
    return `${unitName(a.unit)}: maintenance margin used ${a.past ? "was" : "reached"} ` +
      `${pctText(a.usedPct)} at ${when(a.time).slice(11)} UTC, past your ${a.threshold}% alert` +
      `${now ? `; now ${pctText(now.maintenanceUsedPct)}` : ""}.${where}`;
  }

  function alertLevel(a) {
    return a.threshold >= LIQUIDATING_PCT ? "liquidating" : levelOf(String(a.threshold)) || "warn";
  }

  function render() {
    const box = $("health-alerts");
    box.replaceChildren(...s.alerts.map((a) => {
      const item = el("div", null, `health-alert ${alertLevel(a)}`,
                      { "data-unit": a.unit, "data-threshold": a.threshold, "data-time": a.time });
      item.append(el("span", alertText(a)), button("×", () => {
        s.dismissed.set(a.unit, Math.max(a.threshold, s.dismissed.get(a.unit) ?? 0));
        s.alerts = s.alerts.filter((b) => b !== a);
        render();
      }, "dismiss"));
      item.lastChild.setAttribute("aria-label", "dismiss this alert");
      return item;
    }));
    box.hidden = !s.alerts.length;
  }

  // ----- settings --------------------------------------------------------------------------
  function init() {
    api.feed.on("marginHealth", onMessage);
    const input = $("health-thresholds");
    input.value = thresholds().join(", ");
    $("health-settings").addEventListener("submit", (e) => {
      e.preventDefault();
      try {
        const list = parseThresholds(input.value);
        input.setCustomValidity("");
        localStorage.setItem(STORE, list.join(","));
        input.value = list.join(", ");
        resubscribe();
        for (const f of s.listeners) f();
      } catch (err) {
        input.setCustomValidity(err.message);
        input.reportValidity();
      }
    });
    input.addEventListener("input", () => input.setCustomValidity(""));
  }

  function onChange(f) { s.listeners.push(f); }

  return { init, follow, refresh, position, unit, levelOf, pctText, distanceText, thresholds,
           parseThresholds, onChange };
})();
