// The governance view: voting power and delegation, proposals by state and lane with their
// timelines and tallies (vote, queue, execute), the timelock queue, guardian actions and their
// expiry, steward parameters against their bounds, operators with bonds, reputation and
// slashes, and incident reports. Token amounts are whole governance tokens; times are block time.
// Polling budget (weight a minute, of Hyperliquid's 1,200): proposals and the block time every
// 5 s (22 x 12 = 264), guardians, stewards, operators, incidents, parameters and your power every
// 15 s (6 x 20 x 4 = 480), your votes every 30 s (20 per open proposal, twice); your own actions
// and a change of key refetch everything at once.
"use strict";

L2.gov = (() => {
  const { el, row, table, fill, button, kv, pct, short, when, at, relative, duration, bar, badge, say,
          ADDRESS } = L2.ui;
  const api = L2.api;
  const $ = (id) => document.getElementById(id);
  const SUPPORT = { for: 1, against: 0, abstain: 2 };

  const tokens = (n) => Number(n).toLocaleString("en-US");
  const drafts = new Map();  // text typed into re-rendered inputs, by draft key
  const pending = [];  // the actions of the proposal being written
  let guardianSeats = new Set();  // seated guardians (within their term)
  let stewardSeats = new Set();
  let paramValues = {};

  // Who may file an incident's report: its responsible address, a seated guardian, or a
  // steward for the incidents the engine opens for the stewards (the engine checks again).
  function mayReport(r, me) {
    if (!me) return false;
    return me === r.responsible || guardianSeats.has(me) || (r.responsible === "stewards" && stewardSeats.has(me));
  }

  // An input (or textarea) whose text survives the view's re-rendering every second.
  function draft(key, attrs, tag = "input") {
    const input = el(tag, null, "", attrs);
    input.value = drafts.get(key) || "";
    input.addEventListener("input", () => drafts.set(key, input.value));
    return input;
  }

  // Replace a container's content unless the user is typing in it.
  function render(id, ...nodes) {
    const box = $(id);
    if (box.contains(document.activeElement) && document.activeElement.matches("input, textarea")) return;
    box.replaceChildren(...nodes);
  }

  function describe(action) {
    const [kind, ...args] = action;
    if (kind === "setRiskParam" || kind === "stewardStep") return `${kind}: ${args[0]} → ${args[1]}`;
    if (kind === "treasuryTransfer" || kind === "insuranceTransfer") return `${kind}: ${args.map(String).join(" · ")}`;
    return `${kind}${args.length ? ": " + JSON.stringify(args) : ""}`;
  }

  // Created → review → voting → (timelock) → executable → expires, with "now" marked.
  function timeline(p, now) {
    const steps = [["created", p.created], ["voting opens", p.votingStart], ["voting closes", p.deadline]];
    if (p.eta) steps.push(["executable", p.eta]);
    if (p.expires) steps.push(["expires", p.expires]);
    const list = el("ol", null, "timeline");
    for (const [label, t] of steps) {
      const li = el("li", null, t <= now ? "done" : "");
      li.appendChild(el("span", label));
      li.appendChild(el("span", `${when(t)} · ${relative(t, now)}`, "muted"));
      list.appendChild(li);
    }
    return list;
  }

  // The votes against the proposal's active supply (the bar's full width), quorum marked.
  function tally(p) {
    const v = p.votes;
    const total = Math.max(p.activeSupply || 0, v.for + v.against + v.abstain, 1);
    const box = el("div", null, "tally");
    box.appendChild(bar([[v.for, "for", "for"], [v.against, "against", "against"],
                         [v.abstain, "abstain", "abstain"]], total, p.quorum));
    const margin = v.for - v.against;  // the engine: for >= quorum and for - against >= minMargin
    box.appendChild(el("div", `for ${tokens(v.for)} · against ${tokens(v.against)} · abstain ` +
      `${tokens(v.abstain)} · quorum ${tokens(p.quorum)} (${v.for >= p.quorum ? "met" : "not met"}) · ` +
      `margin ${tokens(margin)} of ${tokens(p.minMargin)} needed`, "muted tally-text"));
    return box;
  }

  const SOURCES = ["proposals", "gov-slow", "myvotes"];
  const c = { now: 0, nowAt: 0, proposals: [], votes: {} };  // the last answers

  // Block time now: the last exchangeStatus time plus the wall-clock time since it came.
  function blockNow() { return c.now + (Date.now() - c.nowAt); }

  // Send a governance action; true when the node accepted it. `sources` are refetched at once
  // (a vote touches only the proposals and your votes; the rest may touch anything).
  async function act(action, label, sources = SOURCES) {
    let ok = false;
    try {
      const result = await api.exchange(action);
      ok = result.ok;
      say($("gov-reply"), ok ? `${label}: accepted` : result.text, ok);
    } catch (err) {
      say($("gov-reply"), err.message, false);
    }
    api.expire(...sources);
    await L2.app.tick();
    return ok;
  }

  function proposalCard(p, now, myVote) {
    const card = el("article", null, "card proposal");
    card.dataset.proposal = p.id;
    card.dataset.state = p.state;
    const head = el("div", null, "row");
    head.appendChild(el("strong", `#${p.id}`));
    head.appendChild(badge(p.state));
    head.appendChild(badge(p.lane, "lane"));
    head.appendChild(el("span", `by ${short(p.proposer)}`, "muted"));
    card.appendChild(head);
    const actions = el("ul", null, "actions");
    for (const a of p.actions || []) actions.appendChild(el("li", describe(a)));
    card.appendChild(actions);
    card.appendChild(tally(p));
    if (myVote) card.appendChild(el("div", `you voted ${myVote.support} with ${tokens(myVote.weight)}`, "my-vote"));
    card.appendChild(timeline(p, now));
    const buttons = el("div", null, "row");
    if (p.state === "Active") {
      for (const [label, support] of Object.entries(SUPPORT)) {
        buttons.appendChild(button(`vote ${label}`, () => act({ type: "govVote", proposal: p.id, support },
          `vote ${label} on #${p.id}`, ["proposals", "myvotes"]), "vote-" + label));
      }
    }
    if (p.state === "Succeeded") buttons.appendChild(button("queue", () => act({ type: "govQueue", proposal: p.id, actions: p.actions }, `queue #${p.id}`)));
    if (p.state === "Queued") {
      const b = executeButton(p);
      b.disabled = now < p.eta;
      buttons.appendChild(b);
    }
    if (api.wallet.address === p.proposer && ["Pending", "Active", "Succeeded", "Queued"].includes(p.state)) {
      buttons.appendChild(button("cancel", () => act({ type: "govCancel", proposal: p.id }, `cancel #${p.id}`), "quiet"));
    }
    card.appendChild(buttons);
    return card;
  }

  function executeButton(p) {
    return button("execute", () => act({ type: "govExecute", proposal: p.id, actions: p.actions }, `execute #${p.id}`));
  }

  // The wallet's own votes on the proposals still open to voting: {id: {support, weight}}.
  async function myVotes(proposals) {
    const me = api.wallet.address;
    const open = proposals.filter((p) => p.state === "Active");
    if (!me || !open.length) return {};
    const lists = await Promise.all(open.map((p) => api.info({ type: "govVotes", proposal: p.id })));
    const out = {};
    open.forEach((p, i) => { const v = lists[i].find((x) => x.voter === me); if (v) out[p.id] = v; });
    return out;
  }

  function renderProposals(proposals, now, votes) {
    const filter = $("proposal-filter").value, lane = $("lane-filter").value;
    const shown = proposals.filter((p) => (!filter || p.state === filter) && (!lane || p.lane === lane))
      .sort((a, b) => b.id - a.id);
    $("proposals").replaceChildren(...(shown.length ? shown.map((p) => proposalCard(p, now, votes[p.id]))
      : [el("p", "no proposals" + (filter ? ` in state ${filter}` : "") + (lane ? ` in the ${lane} lane` : ""), "muted")]));
    fill($("timelock").tBodies[0], proposals.filter((p) => p.state === "Queued").map((p) => row([
      `#${p.id}`, p.lane, at(p.eta, now), when(p.expires), now >= p.eta ? executeButton(p) : "waiting"])),
    "nothing in the timelock");
  }

  // `pw`: the wallet's govPower answer, null without a key.
  function renderPower(pw, me) {
    if (!pw) { $("power").replaceChildren(el("p", "Pick a key to vote and delegate.", "muted")); return; }
    $("power").replaceChildren(kv([
      ["balance", tokens(pw.balance)], ["votes (delegated to you)", tokens(pw.votes)],
      ["delegate", pw.delegate ? (pw.delegate === me ? "yourself" : short(pw.delegate)) : "none: delegate to vote"],
      ["active", pw.active ? "yes" : `no: rights lapse after inactivity (last epoch ${pw.lastActiveEpoch ?? "-"})`],
      ["share of active supply", pct(pw.activeSupply ? pw.votes / pw.activeSupply : 0)]]));
  }

  function renderGuardians(g, now) {
    const members = table(["guardian", "cohort", "term ends", "last active"], g.members.map((m) =>
      row([short(m.address), m.cohort, when(m.termEnds), relative(m.lastActive, now)])));
    const actions = table(["nonce", "action", "signers", "executed", "expires", "status"], g.actions.map((a) => {
      const status = a.ratified ? "ratified" : a.lapsed ? "lapsed" : a.inForce ? "in force" : a.executed ? "ended" : "collecting signatures";
      const me = api.wallet.address;
      const cell = el("span");
      cell.appendChild(badge(status, status.replace(/ /g, "-")));
      if (!a.executed && me && guardianSeats.has(me) && !a.signers.includes(me)) {
        cell.appendChild(button("co-sign", () => act({ type: "guardianSign", nonce: a.nonce, kind: a.kind, args: a.args },
                                                     `co-sign guardian action ${a.nonce}`), "quiet"));
      }
      return row([a.nonce, `${a.kind} ${JSON.stringify(a.args)}`, `${a.signers.length} / ${g.threshold}`,
        when(a.executed), at(a.expires, now), cell]);
    }), { id: "guardian-actions" }, "no guardian actions");
    render("guardians",
      el("p", `${g.threshold} of ${g.members.length} signatures; unratified actions lapse after ` +
        `${duration(g.expiryMs)}; a report is due within ${duration(g.reportDeadlineMs)}` +
        (g.unreported ? `; waiting for the report of action ${g.unreported}` : ""), "muted"),
      members, el("h4", "Actions"), actions);
  }

  // Governed values are integers: fractions in 1e-9 (bands, caps, fees), leverage as is.
  function paramText(key, value) {
    return /cbBand|fundingCap|liqFee|clamp|Fraction|Slippage/i.test(key)
      ? pct(value / 1e9, 3).replace(/\.?0+%$/, "%") : String(value);
  }

  function renderStewards(st, now) {
    const steward = st.stewards.includes(api.wallet.address);
    const rows = st.bounds.map((b) => {
      const range = el("div", null, "range");
      range.appendChild(bar([[b.value - b.low, "in-range", `${b.low} … ${b.high}`]], b.high - b.low));
      range.appendChild(el("span", `${paramText(b.key, b.low)} … ${paramText(b.key, b.high)}`, "muted"));
      const next = el("span", b.ready ? "now" : relative(b.nextUpdate, now));
      if (steward && b.ready) {
        const input = draft(`step:${b.key}`, { size: 10, inputmode: "numeric", placeholder: "new value" });
        next.replaceChildren(input, button("step", () => {
          const value = Number(input.value);
          if (!input.value.trim() || !Number.isSafeInteger(value)) {
            say($("gov-reply"), "a steward step is an integer value", false);
            return;
          }
          act({ type: "stewardUpdate", key: b.key, value }, `steward step ${b.key} → ${value}`)
            .then((ok) => { if (ok) drafts.delete(`step:${b.key}`); });
        }, "quiet"));
      }
      return row([b.key, paramText(b.key, b.value), range, `±${b.maxStepBps / 100}%`, next]);
    });
    const log = (st.log || []).slice(-8).reverse().map((c) => el("div",
      `${when(c.time)}  ${c.key}: ${paramText(c.key, c.old)} → ${paramText(c.key, c.new)} (${c.source}` +
      `${c.author ? ", " + short(c.author) : ""})`, "muted mono"));
    render("stewards", el("p", `stewards: ${st.stewards.map(short).join(", ")}` +
      (steward ? " (you: each step within the bounds, once per debounce)" : ""), "muted"),
      table(["parameter", "value", "bounds", "max step", "next step"], rows, { id: "steward-bounds" }),
      ...(log.length ? [el("h4", "Recent parameter changes"), ...log] : []));
  }

  function renderOperators(o, now) {
    const rows = o.operators.map((op) => {
      const status = op.tombstoned ? badge("tombstoned", "halted") : op.address === o.onDuty ? badge("on duty", "live")
        : op.unbonding.length ? badge("unbonding", "pending") : "";
      return row([short(op.address), op.role, tokens(op.bond),
        op.uptimeBps === null ? "-" : pct(op.uptimeBps / 10000),
        op.meanInclusionMs === null ? "-" : `${op.meanInclusionMs} ms`, op.oracleRoundsMissed,
        op.slashes ? `${op.slashes} (${tokens(op.slashedTotal)})` : "0", tokens(op.feesEarned), status]);
    });
    const out = [el("p", `minimum bonds: ${Object.entries(o.minBond).map(([r, b]) => `${r} ${tokens(b)}`).join(", ")}; ` +
      `unbonding ${duration(o.unbondingMs)}, evidence window ${duration(o.evidenceWindowMs)}; ` +
      `sequencer rotation every ${duration(o.slotMs)}`, "muted"), el("div", null, "scroll")];
    out[1].appendChild(table(["operator", "role", "bond", "uptime", "inclusion", "oracle rounds missed",
                              "slashes", "fees earned", "status"], rows, { id: "operator-table" }));
    for (const p of o.pendingSlashes) {
      out.push(el("div", `pending slash #${p.id}: ${short(p.operator)} ${p.bps / 100}% — ${p.reason}; ` +
        (p.vetoed ? "vetoed" : p.executed ? "executed" : `executable ${relative(p.executableFrom, now)}`), "reply"));
    }
    for (const s of o.slashLog.slice(-10).reverse()) {
      out.push(el("div", `${when(s.time)} slashed ${short(s.operator)} ${tokens(s.amount)} for ${s.offence}`, "muted"));
    }
    $("operators").replaceChildren(...out);
  }

  function renderIncidents(list, now) {
    render("incidents", ...(list.length ? list.map((r) => {
      const card = el("article", null, "incident");
      const head = el("div", null, "row");
      head.appendChild(el("strong", `#${r.id} ${r.kind}`));
      head.appendChild(el("span", r.subject));
      head.appendChild(r.filed ? badge(r.late ? "reported late" : "reported", r.late ? "pending" : "live")
        : badge(`report due ${relative(r.deadline, now)}`, r.deadline < now ? "halted" : "pending"));
      card.appendChild(head);
      card.appendChild(el("div", `responsible: ${short(r.responsible)}` +
        (r.filedBy ? ` · filed by ${short(r.filedBy)} ${when(r.filed)}` : ""), "muted"));
      if (r.report) card.appendChild(el("blockquote", r.report));
      else if (mayReport(r, api.wallet.address)) {
        const text = draft(`report:${r.id}`, { rows: 3, placeholder: "what happened, what was done, what changes" }, "textarea");
        const form = el("div", null, "report-form");
        form.append(text, button("file report", () => {
          if (!text.value.trim()) { say($("gov-reply"), "write the report first", false); return; }
          act({ type: "incidentReport", incident: r.id, text: text.value.trim() }, `report on incident #${r.id}`)
            .then((ok) => { if (ok) drafts.delete(`report:${r.id}`); });
        }));
        card.appendChild(form);
      }
      for (const t of r.timeline) card.appendChild(el("div", `${when(t.time)}  ${t.event}`, "muted mono"));
      return card;
    }) : [el("p", "no incidents", "muted")]));
  }

  async function refresh() {
    if (api.due("proposals", 5000)) {
      const [status, proposals] = await Promise.all([
        api.info({ type: "exchangeStatus" }), api.info({ type: "govProposals" })]);
      c.now = status.time;
      c.nowAt = Date.now();
      const open = (list) => list.filter((p) => p.state === "Active").map((p) => p.id).join();
      if (open(proposals) !== open(c.proposals)) api.expire("myvotes");
      c.proposals = proposals;
      if (api.due("myvotes", 30_000)) c.votes = await myVotes(proposals);
      renderProposals(c.proposals, c.now, c.votes);
    }
    if (!api.due("gov-slow", 15_000)) return;
    const me = api.wallet.address;
    const [guardians, stewards, operators, incidents, params, power] = await Promise.all([
      api.info({ type: "guardians" }), api.info({ type: "stewards" }),
      api.info({ type: "operators" }), api.info({ type: "incidents" }), api.info({ type: "govParams" }),
      me ? api.info({ type: "govPower", user: me }) : null]);
    const now = blockNow();
    fillParamKeys(params.params);
    guardianSeats = new Set(guardians.members.filter((m) => m.termEnds > now).map((m) => m.address));
    stewardSeats = new Set(stewards.stewards);
    renderGuardians(guardians, now);
    renderStewards(stewards, now);
    renderOperators(operators, now);
    renderIncidents(incidents, now);
    renderPower(power, me);
  }

  // ----- writing a proposal ----------------------------------------------------------------
  function fillParamKeys(values) {
    paramValues = values;
    const select = $("pa-key");
    const keys = Object.keys(values).sort();
    if (select.options.length !== keys.length) {  // else keep the user's choice
      select.replaceChildren(...keys.map((k) => el("option", k, "", { value: k })));
    }
    showCurrent();
  }

  function showCurrent() {
    const key = $("pa-key").value;
    $("pa-value").placeholder = key in paramValues ? `now ${paramText(key, paramValues[key])} (${paramValues[key]})` : "new value";
  }

  function kindChanged() {
    const risk = $("pa-kind").value === "setRiskParam";
    $("pa-key").hidden = !risk; $("pa-value").hidden = !risk;
    $("pa-to").hidden = risk; $("pa-amount").hidden = risk;
  }

  // The action the inputs describe (an Error when incomplete).
  function actionFromInputs() {
    if ($("pa-kind").value === "setRiskParam") {
      const value = Number($("pa-value").value);
      if (!$("pa-key").value || $("pa-value").value.trim() === "" || !Number.isSafeInteger(value)) {
        throw new Error("pick a parameter and give its new integer value");
      }
      return ["setRiskParam", $("pa-key").value, value];
    }
    const to = $("pa-to").value.trim().toLowerCase(), amount = Number($("pa-amount").value);
    if (!ADDRESS.test(to) || !Number.isSafeInteger(amount) || amount <= 0) {
      throw new Error("a treasury transfer needs a 0x address and a whole number of tokens");
    }
    return ["treasuryTransfer", to, amount];
  }

  function renderPending() {
    $("pa-list").replaceChildren(...pending.map((a, i) => {
      const li = el("li", describe(a));
      li.appendChild(button("remove", () => { pending.splice(i, 1); renderPending(); }, "quiet"));
      return li;
    }));
  }

  function addAction() {
    try { pending.push(actionFromInputs()); } catch (err) { say($("gov-reply"), err.message, false); return false; }
    $("pa-value").value = ""; $("pa-amount").value = "";
    renderPending();
    return true;
  }

  // Propose the listed actions, with the one still typed in the inputs added first; the list
  // is kept when the node refuses the proposal.
  async function propose(event) {
    event.preventDefault();
    const typed = $("pa-kind").value === "setRiskParam" ? $("pa-value").value : $("pa-to").value + $("pa-amount").value;
    if ((typed.trim() || !pending.length) && !addAction()) return;
    const actions = pending.slice();
    const ok = await act({ type: "govPropose", actions }, `proposal of ${actions.length} action${actions.length > 1 ? "s" : ""}`);
    if (ok) { pending.length = 0; renderPending(); }
  }

  function init() {
    $("pa-kind").addEventListener("change", kindChanged);
    $("pa-key").addEventListener("change", showCurrent);
    $("pa-add").addEventListener("click", addAction);
    $("propose").addEventListener("submit", propose);
    kindChanged();
    const refilter = () => renderProposals(c.proposals, blockNow(), c.votes);
    $("proposal-filter").addEventListener("change", refilter);
    $("lane-filter").addEventListener("change", refilter);
    api.wallet.onChange(() => api.expire(...SOURCES));
    $("delegate").addEventListener("submit", (e) => {
      e.preventDefault();
      const to = ($("delegatee").value.trim() || api.wallet.address).toLowerCase();
      if (!ADDRESS.test(to)) { say($("gov-reply"), "delegate to a 0x address", false); return; }
      act({ type: "govDelegate", to }, `delegate to ${short(to)}`);
    });
  }

  return { init, refresh };
})();
