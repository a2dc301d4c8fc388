// l2perp web app: routing between the views, the wallet panel, the refresh loop. The page is a
// client of the public API only (/info, /exchange, /ws); no dependencies, no build step,
// nothing loaded from outside the node.
"use strict";

L2.app = (() => {
  const api = L2.api;
  const { short, say } = L2.ui;
  const $ = (id) => document.getElementById(id);
  const VIEWS = { trade: L2.trade, rollup: L2.rollup, governance: L2.gov, lab: L2.lab };
  let current = "trade";
  let busy = false;

  function view() { return current; }

  function show(name) {
    current = VIEWS[name] ? name : "trade";
    for (const section of document.querySelectorAll(".view")) section.hidden = section.id !== current;
    for (const a of document.querySelectorAll("nav a")) a.classList.toggle("active", a.dataset.view === current);
    tick();
  }

  // One refresh of the visible view; a slow answer never stacks a second refresh on it.
  async function tick() {
    if (busy) return;
    busy = true;
    const status = $("status");
    try {
      await VIEWS[current].refresh();
      status.textContent = `${api.feed.open ? "live" : "polling"} · ${new Date().toLocaleTimeString()}`;
      status.className = "muted";
    } catch (err) {
      status.textContent = `error: ${err.message}`;
      status.className = "err";
    } finally {
      busy = false;
    }
  }

  function showWallet(address) {
    $("wallet-address").textContent = address ? short(address) : "no key";
    $("wallet-address").title = address || "";
  }

  async function loadDevKeys() {
    let keys;
    try { keys = await api.info({ type: "devnetKeys" }); } catch { keys = []; }
    const select = $("devkey");
    const counts = {};
    for (const k of keys) {
      counts[k.role] = (counts[k.role] || 0) + 1;
      const option = document.createElement("option");
      option.value = k.privateKey;
      option.textContent = `${k.role} ${counts[k.role]} · ${short(k.address)}`;
      select.appendChild(option);
    }
    select.closest("label").hidden = !keys.length;
  }

  function initWallet() {
    showWallet(api.wallet.address);
    api.wallet.onChange((address) => { showWallet(address); tick(); });
    $("devkey").addEventListener("change", () => { if ($("devkey").value) $("key").value = $("devkey").value; });
    $("wallet-form").addEventListener("submit", (e) => {
      e.preventDefault();
      try {
        api.wallet.set($("key").value);
        say($("wallet-reply"), api.wallet.address ? `signing as ${api.wallet.address}` : "no key", true);
        $("key").value = "";
        $("wallet").open = false;
      } catch (err) {
        say($("wallet-reply"), err.message, false);
      }
    });
    $("key-forget").addEventListener("click", () => { api.wallet.set(""); $("devkey").value = ""; });
    // a dropdown: it overlays the page only while open, and a click elsewhere or Escape closes it
    document.addEventListener("pointerdown", (e) => {
      if ($("wallet").open && !$("wallet").contains(e.target)) $("wallet").open = false;
    });
    document.addEventListener("keydown", (e) => { if (e.key === "Escape") $("wallet").open = false; });
  }

  function init() {
    for (const v of Object.values(VIEWS)) v.init();  // their key listeners expire sources first
    initWallet();
    api.feed.connect();
    loadDevKeys();
    window.addEventListener("hashchange", () => show(location.hash.slice(1)));
    show(location.hash.slice(1) || "trade");
    setInterval(tick, 1000);
  }

  return { init, view, show, tick };
})();

L2.app.init();
