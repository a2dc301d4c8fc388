// l2perp web app: a client of the public API only (/info here; /exchange and /ws to come).
// Read-only views of markets, the book, an account, the rollup and governance, refreshed
// every second. No dependencies, no build step, nothing loaded from outside the node.
"use strict";

const state = { coin: null, view: "trade", user: localStorage.getItem("l2perp.user") || "" };

async function info(body) {
  const reply = await fetch("/info", {
    method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body),
  });
  if (!reply.ok) throw new Error(`${body.type}: ${reply.status}`);
  return reply.json();
}

function el(tag, text, cls) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (cls) node.className = cls;
  return node;
}

function row(cells, cls) {
  const tr = el("tr", null, cls);
  for (const cell of cells) tr.appendChild(el("td", cell));
  return tr;
}

function fill(tbody, rows) {
  tbody.replaceChildren(...rows);
}

function pct(x) { return `${(x * 100).toFixed(2)}%`; }
function when(ms) { return ms ? new Date(ms).toISOString().replace("T", " ").slice(0, 19) : "-"; }

function kv(obj, keys) {
  const box = el("div", null, "kv card");
  for (const key of keys) {
    if (!(key in obj)) continue;
    box.appendChild(el("span", key, "muted"));
    const value = obj[key];
    box.appendChild(el("span", typeof value === "object" ? JSON.stringify(value) : value));
  }
  return box;
}

async function refreshTrade() {
  const [meta, ctxs] = await info({ type: "metaAndAssetCtxs" });
  const rows = meta.universe.map((m, i) => {
    const c = ctxs[i];
    const change = c.prevDayPx && Number(c.prevDayPx) ? Number(c.markPx) / Number(c.prevDayPx) - 1 : 0;
    const tr = row([m.name, c.markPx, c.oraclePx, pct(change), pct(Number(c.funding)),
                    c.openInterest, `${m.maxLeverage}x`], m.name === state.coin ? "selected" : "");
    tr.addEventListener("click", () => { state.coin = m.name; refreshTrade(); });
    return tr;
  });
  fill(document.querySelector("#markets tbody"), rows);
  if (!state.coin && meta.universe.length) state.coin = meta.universe[0].name;
  document.getElementById("book-coin").textContent = state.coin || "";
  if (state.coin) {
    const book = await info({ type: "l2Book", coin: state.coin });
    const [bids, asks] = book.levels;
    const lines = asks.slice(0, 10).reverse().map((l) => row([l.px, l.sz, l.n], "ask"))
      .concat(bids.slice(0, 10).map((l) => row([l.px, l.sz, l.n], "bid")));
    fill(document.querySelector("#book tbody"), lines);
  }
  if (state.user) await refreshAccount();
  await refreshOrders();
}

async function exchange(action) {
  const key = document.getElementById("key").value.trim();
  if (!key) throw new Error("paste a private key first");
  const body = L2Sign.exchangeBody(key, action, Date.now());
  const reply = await fetch("/exchange", {
    method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body),
  });
  return reply.json();
}

function keyAddress() {
  const key = document.getElementById("key").value.trim();
  return key ? L2Sign.addressOf(key) : "";
}

document.getElementById("order").addEventListener("submit", async (event) => {
  event.preventDefault();
  const out = document.getElementById("order-reply");
  try {
    const [meta] = await info({ type: "metaAndAssetCtxs" });
    const asset = meta.universe.findIndex((m) => m.name === state.coin);
    const action = L2Sign.orderAction(asset, document.getElementById("side").value === "buy",
      document.getElementById("px").value.trim(), document.getElementById("sz").value.trim(),
      document.getElementById("tif").value, document.getElementById("ro").checked);
    const reply = await exchange(action);
    out.textContent = JSON.stringify(reply.response?.data?.statuses ?? reply.response);
    if (!state.user) { state.user = keyAddress(); }
    tick();
  } catch (err) {
    out.textContent = err.message;
  }
});

async function refreshOrders() {
  const user = keyAddress() || state.user;
  if (!user) return;
  const orders = await info({ type: "openOrders", user });
  const [meta] = await info({ type: "metaAndAssetCtxs" });
  fill(document.querySelector("#open-orders tbody"), orders.map((o) => {
    const tr = row([o.coin, o.side === "B" ? "buy" : "sell", o.limitPx, o.sz]);
    const cell = el("td");
    const button = el("button", "cancel");
    button.addEventListener("click", async () => {
      const asset = meta.universe.findIndex((m) => m.name === o.coin);
      await exchange({ type: "cancel", cancels: [{ a: asset, o: o.oid }] });
      tick();
    });
    cell.appendChild(button);
    tr.appendChild(cell);
    return tr;
  }));
}

async function refreshAccount() {
  const box = document.getElementById("account");
  const user = await info({ type: "clearinghouseState", user: state.user });
  const out = [kv(user.marginSummary, ["accountValue", "totalNtlPos", "totalMarginUsed"]),
               kv(user, ["withdrawable"])];
  for (const p of user.assetPositions) {
    const pos = p.position;
    out.push(kv(pos, ["coin", "szi", "entryPx", "positionValue", "unrealizedPnl",
                      "liquidationPx", "marginUsed", "leverage"]));
  }
  box.replaceChildren(...out);
}

async function refreshRollup() {
  const target = document.getElementById("rollup-status");
  try {
    const status = await info({ type: "rollupStatus" });
    target.replaceChildren(kv(status, Object.keys(status)));
  } catch (err) {
    target.replaceChildren(el("p", "this node runs no rollup", "muted"));
  }
  const l1 = await info({ type: "l1Status" }).catch(() => null);
  document.getElementById("solvency").replaceChildren(
    l1 ? kv(l1, Object.keys(l1)) : el("p", "no L1", "muted"));
}

async function refreshGovernance() {
  const proposals = await info({ type: "govProposals" });
  fill(document.querySelector("#proposals tbody"), proposals.map((p) => {
    const tr = row([p.id, p.lane, p.state, p.votes.for, p.votes.against, p.quorum,
                    when(p.deadline), JSON.stringify(p.actions)]);
    if (p.state === "Active") {
      for (const [label, support] of [["for", 1], ["against", 0]]) {
        const button = el("button", `vote ${label}`);
        button.addEventListener("click", async () => {
          await exchange({ type: "govVote", proposal: p.id, support });
          tick();
        });
        tr.appendChild(button);
      }
    }
    return tr;
  }));
  const g = await info({ type: "guardians" });
  const guardians = [el("p", `threshold ${g.threshold} of ${g.members.length}; next nonce ` +
                        `${g.nextNonce}; waiting for a report: ${g.unreported ?? "-"}`)];
  for (const a of g.actions) {
    guardians.push(kv({ nonce: a.nonce, kind: a.kind, args: a.args, signers: a.signers.length,
                        expires: when(a.expires), inForce: a.inForce, reported: a.reported },
                      ["nonce", "kind", "args", "signers", "expires", "inForce", "reported"]));
  }
  document.getElementById("guardians").replaceChildren(...guardians);
  const incidents = await info({ type: "incidents" });
  document.getElementById("incidents").replaceChildren(...incidents.map((r) => {
    const card = el("div", null, "card");
    card.appendChild(el("strong", `#${r.id} ${r.kind} — ${r.subject}`));
    card.appendChild(el("div", `responsible: ${r.responsible}; ` +
                        (r.filed ? `reported ${when(r.filed)}` : `report due ${when(r.deadline)}`),
                        "muted"));
    for (const t of r.timeline) card.appendChild(el("div", `${when(t.time)}  ${t.event}`));
    return card;
  }));
}

const REFRESH = { trade: refreshTrade, rollup: refreshRollup, governance: refreshGovernance };

function show(view) {
  state.view = REFRESH[view] ? view : "trade";
  for (const section of document.querySelectorAll(".view")) {
    section.hidden = section.id !== state.view;
  }
  for (const a of document.querySelectorAll("nav a")) {
    a.classList.toggle("active", a.dataset.view === state.view);
  }
  tick();
}

async function tick() {
  const status = document.getElementById("status");
  try {
    await REFRESH[state.view]();
    status.textContent = `updated ${new Date().toLocaleTimeString()}`;
  } catch (err) {
    status.textContent = `error: ${err.message}`;
  }
}

document.getElementById("lookup").addEventListener("submit", (event) => {
  event.preventDefault();
  state.user = document.getElementById("user").value.trim().toLowerCase();
  localStorage.setItem("l2perp.user", state.user);
  tick();
});
document.getElementById("user").value = state.user;
window.addEventListener("hashchange", () => show(location.hash.slice(1)));
show(location.hash.slice(1) || "trade");
setInterval(tick, 1000);
