// The rollup and solvency view: heights and finality, batches with their challenge deadlines,
// the L1 message queue and forced requests, the solvency of the venue against the bridge, and
// reconciliation. Polling budget (weight a minute, of Hyperliquid's 1,200): rollupStatus and
// batches every 4 s (2 x 20 x 15 = 600), l1Status every 10 s (120), solvency every 20 s (180).
"use strict";

L2.rollup = (() => {
  const { el, row, table, fill, kv, usd, micro, short, when, at, badge } = L2.ui;
  const api = L2.api;
  const $ = (id) => document.getElementById(id);

  function card(label, value, detail, cls) {
    const box = el("div", null, "stat " + (cls || ""));
    box.appendChild(el("span", label, "muted"));
    box.appendChild(value instanceof Node ? value : el("strong", value));
    if (detail) box.appendChild(el("span", detail, "muted"));
    return box;
  }

  function renderStatus(st, l1) {
    const cards = [
      card("L2 height", st.l2Height, `${st.l2Height - st.postedHeight} blocks not yet on L1`),
      card("posted", st.postedHeight, `batch ${st.lastPostedBatch || "-"}`),
      card("finalized", st.finalizedHeight, `batch ${st.lastFinalizedBatch || "-"}`),
      card("L1", l1 ? l1.height : "-", l1 ? `${when(l1.time)} · ${l1.baseFeeGwei} gwei` : ""),
      card("bridge", l1 ? micro(l1.bridgeBalance) : "-", "USDC held by the L1 bridge"),
      card("state", st.frozen ? badge("FROZEN", "frozen") : st.halted ? badge("HALTED", "halted") : badge("live", "live"),
           st.frozen ? "escape hatch open" : st.halted ? String(st.halted) : `profile ${st.profile}`),
    ];
    $("rollup-cards").replaceChildren(...cards);
  }

  // Blocks past the newest posted batch come first, as a pending row (not yet on L1).
  function pendingRow(st) {
    const tr = row(["next", badge("pending"), `${st.postedHeight + 1}–${st.l2Height}`, "", "",
      "not yet posted", "", "", ""]);
    tr.dataset.finality = "pending";
    return tr;
  }

  function renderBatches(list, st) {
    const now = list.now;
    const pending = st.l2Height > st.postedHeight ? [pendingRow(st)] : [];
    fill($("batches").tBodies[0], pending.concat(list.batches.map((b) => {
      const tr = row([b.batchNo, badge(b.finality), `${b.firstHeight}–${b.lastHeight}`, b.nTxs,
        b.l1MsgEnd > b.l1MsgStart ? `${b.l1MsgStart}–${b.l1MsgEnd - 1}` : "none", when(b.postedAt),
        b.finality === "posted" ? at(b.challengeDeadline, now)
          : b.finality === "reverted" ? `reverted (fraud proven on batch #${b.revertedBy})` : when(b.challengeDeadline),
        short(b.poster), { text: b.postRoot.slice(0, 18) + "…", cls: "mono" }]);
      tr.dataset.batch = b.batchNo;
      tr.dataset.finality = b.finality;
      return tr;
    })), "no batches posted yet");
  }

  function renderQueue(l1) {
    fill($("l1-queue").tBodies[0], l1.queue.map((m) => row([m.index,
      m.forced ? badge(m.kind, "forced") : m.kind, short(m.sender), when(m.time),
      at(m.deadline, l1.time)])),
    "no L1 message is waiting to enter a block");
    const forced = l1.forced || [];
    fill($("forced").tBodies[0], forced.map((m) => row([m.index, m.kind, short(m.sender),
      at(m.deadline, l1.time), at(m.freezeFrom, l1.time)])),
    "no open forced requests");
  }

  function renderSolvency(sv) {
    const funds = table(["fund", "cash", "positions"], sv.funds.map((f) => row([
      f.partition === 0 ? "insurance (shared)" : `insurance #${f.partition}`, usd(f.cash),
      f.positions.map((p) => `${p.coin} ${p.szi}`).join(", ") || "-"])));
    const parts = [
      ["L2 total now (all cash)", usd(sv.l2Total)],
      ["fee pool", usd(sv.feePool)],
      ["accounts under water", String(sv.negativeAccounts.length), sv.negativeAccounts.length ? "down" : ""],
      ["bad debt", usd(sv.badDebt), Number(sv.badDebt) > 0 ? "down" : ""],
    ];
    const out = [moneyTable(sv), kv(parts), funds];
    if (sv.negativeAccounts.length) {
      out.push(table(["account", "value"], sv.negativeAccounts.slice(0, 20).map((a) =>
        row([short(a.user), { text: usd(a.accountValue), cls: "down" }]))));
    }
    $("solvency").replaceChildren(...out);
  }

  // The bridge's balance as the sum of what it owes (R1): every term named; the difference is
  // shown only when it is not zero (then it is the reconciler's mismatch).
  function moneyTable(sv) {
    const r1 = sv.reconciliation?.r1;
    if (!r1 || sv.bridgeBalance === null) return el("div", "no rollup: no bridge to reconcile", "muted");
    const l2 = r1.escapePoolLeft !== undefined ? ["escape pool left (frozen)", r1.escapePoolLeft]
      : ["L2 total at the last finalized batch", r1.finalizedL2Total];
    const terms = [
      l2,
      ["deposits on L1 no finalized batch has consumed", r1.queuedDeposits],
      ["finalized withdrawals not yet claimed", r1.owedWithdrawals],
      ["operators' bonds held", r1.bondsHeld],
    ];
    const rows = [row(["bridge balance", { text: usd(r1.bridge), cls: "" }])];
    rows.push(...terms.map(([name, v]) => row([`  = ${name}`, v === null ? "not measured yet" : usd(v)])));
    const gap = sv.bridgeMinusL2 === null || sv.bridgeMinusL2 === undefined ? 0 : Number(sv.bridgeMinusL2);
    if (gap !== 0) rows.push(row(["difference (a mismatch)", { text: usd(sv.bridgeMinusL2), cls: "down" }]));
    const t = table(["money the bridge holds", "USDC"], rows);
    t.id = "money-table";
    return t;
  }

  function renderReconciliation(st, sv, l1) {
    const rec = sv?.reconciliation;
    const mismatches = rec?.mismatches ?? st.incidents ?? [];
    const parts = [
      ["reconciler", mismatches.length ? badge("mismatch", "halted") : badge("in agreement", "live")],
      ["sequencer halted", st.halted ? String(st.halted) : "no"],
      ["L1 frozen", st.frozen ? badge("FROZEN", "frozen") : "no"],
      ["escapes open", l1?.escapesOpen ? "yes" : "no"],
      ["deposits awaiting a finalized batch", l1 ? micro(l1.queuedDeposits) : "-"],
      ["owed withdrawals", l1 ? micro(l1.owedWithdrawals) : "-"],
      ["bonds held", l1 ? micro(l1.bondsHeld) : "-"],
      ["batches reverted", String(st.revertedBatches)],
      ["poster", short(st.poster)],
    ];
    const out = [kv(parts)];
    const fee = st.l1DataFee;  // the L1 data fee's account (null on a venue without one)
    if (fee) {
      const absorbed = Number(fee.absorbed);
      const t = table(["L1 data fee", "USDC"], [
        row(["batch costs L1 recorded", micro(fee.l1Recorded)]),
        row(["costs L2 took on (R6: the consumed ones agree)", micro(fee.l2Costs)]),
        row(["charged to takers", micro(fee.charged)]),
        row(["paid to batch posters", micro(fee.paid)]),
        row(["owed to batch posters", micro(fee.owed)]),
        row([absorbed < 0 ? "the fee pool paid beyond the charges" : "the fee pool kept",
             { text: micro(Math.abs(absorbed)), cls: absorbed < 0 ? "down" : "" }])]);
      t.id = "l1-fee-table";
      out.push(t);
    }
    for (const m of mismatches) out.push(el("div", `${m.rule} at L1 block ${m.l1Block}: ${m.detail}`, "reply err"));
    for (const e of st.postErrors || []) out.push(el("div", `post error: ${e}`, "muted"));
    $("reconciliation").replaceChildren(...out);
  }

  const c = { st: null, l1: null, batches: null, sv: null };  // the last answers

  async function refresh() {
    const statusDue = api.due("rollup", 4000);
    if (statusDue) {
      try { c.st = await api.info({ type: "rollupStatus" }); } catch (err) {
        $("rollup-cards").replaceChildren(el("p", "This node runs no rollup.", "muted"));
        return;
      }
    }
    if (!c.st) return;  // no rollup on this node
    const l1Due = api.due("l1", 10_000), svDue = api.due("solvency", 20_000);
    if (!(statusDue || l1Due || svDue)) return;
    const [l1, batches, sv] = await Promise.all([
      l1Due ? api.info({ type: "l1Status" }) : c.l1, statusDue ? api.info({ type: "batches" }) : c.batches,
      svDue ? api.info({ type: "solvency" }) : c.sv]);
    Object.assign(c, { l1, batches, sv });
    renderStatus(c.st, c.l1);
    renderBatches(c.batches, c.st);
    renderQueue(c.l1);
    renderSolvency(c.sv);
    renderReconciliation(c.st, c.sv, c.l1);
  }

  function init() {}

  return { init, refresh };
})();
