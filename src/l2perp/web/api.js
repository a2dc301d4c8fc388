// The page's only ways out: POST /info, POST /exchange (signed here with L2Sign) and the /ws
// websocket, exactly as any Hyperliquid client uses them. The wallet keeps the private key in
// this tab's sessionStorage only; it never leaves the page except as signatures.
"use strict";

L2.api = (() => {
  const TIMEOUT_MS = 10_000;  // a stalled request must not stall the refresh loop

  async function info(body) {
    const reply = await fetch("/info", {
      method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    if (!reply.ok) throw new Error(`${body.type}: ${(await reply.text()).slice(0, 200)}`);
    return reply.json();
  }

  // The universe as the markets table last fetched it (a listing adds a market).
  let meta = null;
  function setUniverse(list) { meta = list; }
  function market(coin) {
    const i = (meta || []).findIndex((m) => m.name === coin);
    return i < 0 ? null : { asset: i, ...meta[i] };
  }

  // ----- wallet ----------------------------------------------------------------------------
  const wallet = {
    key: sessionStorage.getItem("l2perp.key") || "",
    address: "",
    listeners: [],
    set(key) {
      const k = key.trim();
      if (k && !/^(0x)?[0-9a-fA-F]{64}$/.test(k)) throw new Error("a private key is 32 bytes of hex");
      this.key = k ? (k.startsWith("0x") ? k : "0x" + k) : "";
      this.address = this.key ? L2Sign.addressOf(this.key) : "";
      if (this.key) sessionStorage.setItem("l2perp.key", this.key);
      else sessionStorage.removeItem("l2perp.key");
      for (const f of this.listeners) f(this.address);
    },
    onChange(f) { this.listeners.push(f); },
  };
  if (wallet.key) wallet.address = L2Sign.addressOf(wallet.key);

  let lastNonce = 0;
  function nextNonce() {
    lastNonce = Math.max(Date.now(), lastNonce + 1);
    return lastNonce;
  }

  // The reply of /exchange as {ok, text, statuses}: ok only when the request and every
  // status in it succeeded; text is Hyperliquid's error text otherwise.
  function outcome(reply) {
    if (!reply || reply.status !== "ok") {
      return { ok: false, text: typeof reply?.response === "string" ? reply.response : JSON.stringify(reply), statuses: [] };
    }
    const statuses = reply.response?.data?.statuses || [];
    const errors = statuses.filter((s) => s && typeof s === "object" && "error" in s).map((s) => s.error);
    if (errors.length) return { ok: false, text: errors.join("; "), statuses };
    const parts = statuses.map((s) => {
      if (typeof s === "string") return s;  // "success", "waitingForFill", "waitingForTrigger"
      if (s.resting) return `resting (oid ${s.resting.oid})`;
      if (s.filled) return `filled ${s.filled.totalSz} @ ${s.filled.avgPx}`;
      return JSON.stringify(s);
    });
    return { ok: true, text: parts.join("; ") || "ok", statuses };
  }

  async function post(body) {
    const reply = await fetch("/exchange", {
      method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    const text = await reply.text();
    try { return outcome(JSON.parse(text)); } catch { return { ok: false, text, statuses: [] }; }
  }

  // An L1 action (order, cancel, updateLeverage, gov*...) signed with the wallet's key.
  async function exchange(action) {
    if (!wallet.key) return { ok: false, text: "pick a devnet key or paste a private key first", statuses: [] };
    return post(L2Sign.exchangeBody(wallet.key, action, nextNonce()));
  }

  // A user-signed action (withdraw3, usdSend): EIP-712 typed data, nonce = time.
  async function userSigned(action) {
    if (!wallet.key) return { ok: false, text: "pick a devnet key or paste a private key first", statuses: [] };
    return post(L2Sign.userSignedBody(wallet.key, { ...action, time: nextNonce() }));
  }

  // ----- the polling budget ----------------------------------------------------------------
  // Hyperliquid allows 1,200 /info weight a minute per IP (2, 20 or 60 a request). The views
  // fetch each source at its own period (what the websocket does not push); the user's own
  // actions and websocket events expire a source so it is fetched on the next tick.
  const fetchedAt = new Map();
  const hurry = new Map();  // key -> a shorter period asked for by an event

  // True (and the source counts as fetched now) when `key` was last fetched `periodMs` ago
  // (or the shorter gap `soon` asked for).
  function due(key, periodMs) {
    const now = Date.now();
    const period = Math.min(periodMs, hurry.get(key) ?? Infinity);
    if (now - (fetchedAt.get(key) ?? -Infinity) < period) return false;
    fetchedAt.set(key, now);
    hurry.delete(key);
    return true;
  }

  // Fetch at once (the user's own action, a change of key).
  function expire(...keys) { for (const key of keys) { fetchedAt.delete(key); hurry.delete(key); } }

  // Fetch once `gapMs` have passed since the last fetch (websocket events, which may be many).
  function soon(key, gapMs) { hurry.set(key, Math.min(gapMs, hurry.get(key) ?? Infinity)); }

  // ----- websocket -------------------------------------------------------------------------
  // Subscriptions survive reconnects; handlers get each message's `data` for their channel.
  const feed = {
    ws: null, subs: new Map(), handlers: new Map(), open: false, listeners: [],
    key(sub) { return JSON.stringify(sub); },
    connect() {
      const scheme = location.protocol === "https:" ? "wss" : "ws";
      const ws = new WebSocket(`${scheme}://${location.host}/ws`);
      this.ws = ws;
      ws.onopen = () => {
        this.open = true;
        for (const sub of this.subs.values()) ws.send(JSON.stringify({ method: "subscribe", subscription: sub }));
        this.notify();
      };
      ws.onclose = () => {
        this.open = false;
        this.notify();
        setTimeout(() => this.connect(), 1000);
      };
      ws.onmessage = (event) => {
        const message = JSON.parse(event.data);
        const list = this.handlers.get(message.channel);
        if (list) for (const f of list) f(message.data);
      };
    },
    notify() { for (const f of this.listeners) f(this.open); },
    on(channel, handler) {
      if (!this.handlers.has(channel)) this.handlers.set(channel, []);
      this.handlers.get(channel).push(handler);
    },
    subscribe(sub) {
      const k = this.key(sub);
      if (this.subs.has(k)) return;
      this.subs.set(k, sub);
      if (this.open) this.ws.send(JSON.stringify({ method: "subscribe", subscription: sub }));
    },
    unsubscribe(sub) {
      const k = this.key(sub);
      if (!this.subs.delete(k)) return;
      if (this.open) this.ws.send(JSON.stringify({ method: "unsubscribe", subscription: sub }));
    },
  };

  return { info, setUniverse, market, wallet, exchange, userSigned, feed, due, expire, soon };
})();
