// Hyperliquid L1-action signing in the browser, written for l2perp (no dependencies):
// keccak-256, MessagePack as msgpack-python packs an action, the phantom-agent EIP-712 digest
// (domain "Exchange", "1", 1337, 0x0; Agent(string source, bytes32 connectionId), source "a" on
// mainnet, "b" elsewhere) and secp256k1 signatures with the recovery id (v = 27 + id).
"use strict";

(function (root) {
  const MASK = (1n << 64n) - 1n;
  const RC = [
    0x0000000000000001n, 0x0000000000008082n, 0x800000000000808an, 0x8000000080008000n,
    0x000000000000808bn, 0x0000000080000001n, 0x8000000080008081n, 0x8000000000008009n,
    0x000000000000008an, 0x0000000000000088n, 0x0000000080008009n, 0x000000008000000an,
    0x000000008000808bn, 0x800000000000008bn, 0x8000000000008089n, 0x8000000000008003n,
    0x8000000000008002n, 0x8000000000000080n, 0x000000000000800an, 0x800000008000000an,
    0x8000000080008081n, 0x8000000000008080n, 0x0000000080000001n, 0x8000000080008008n,
  ];
  const ROT = [  // rotation offsets r[x][y], index x + 5 y
    0, 1, 62, 28, 27, 36, 44, 6, 55, 20, 3, 10, 43, 25, 39, 41, 45, 15, 21, 8, 18, 2, 61, 56, 14,
  ];

  function rotl(v, n) {
    const s = BigInt(n);
    return n === 0 ? v : ((v << s) | (v >> (64n - s))) & MASK;
  }

  function keccakF(a) {
    for (let round = 0; round < 24; round++) {
      const c = [];
      for (let x = 0; x < 5; x++) c.push(a[x] ^ a[x + 5] ^ a[x + 10] ^ a[x + 15] ^ a[x + 20]);
      for (let x = 0; x < 5; x++) {
        const d = c[(x + 4) % 5] ^ rotl(c[(x + 1) % 5], 1);
        for (let y = 0; y < 25; y += 5) a[x + y] ^= d;
      }
      const b = new Array(25);
      for (let x = 0; x < 5; x++) {
        for (let y = 0; y < 5; y++) {
          b[y + 5 * ((2 * x + 3 * y) % 5)] = rotl(a[x + 5 * y], ROT[x + 5 * y]);
        }
      }
      for (let y = 0; y < 25; y += 5) {
        for (let x = 0; x < 5; x++) {
          a[x + y] = b[x + y] ^ (~b[((x + 1) % 5) + y] & MASK & b[((x + 2) % 5) + y]);
        }
      }
      a[0] ^= RC[round];
    }
  }

  function keccak256(bytes) {
    const rate = 136;
    const padded = new Uint8Array(Math.floor(bytes.length / rate) * rate + rate);
    padded.set(bytes);
    padded[bytes.length] ^= 0x01;
    padded[padded.length - 1] ^= 0x80;
    const a = new Array(25).fill(0n);
    for (let off = 0; off < padded.length; off += rate) {
      for (let i = 0; i < rate / 8; i++) {
        let lane = 0n;
        for (let k = 7; k >= 0; k--) lane = (lane << 8n) | BigInt(padded[off + 8 * i + k]);
        a[i] ^= lane;
      }
      keccakF(a);
    }
    const out = new Uint8Array(32);
    for (let i = 0; i < 4; i++) {
      let lane = a[i];
      for (let k = 0; k < 8; k++) { out[8 * i + k] = Number(lane & 0xffn); lane >>= 8n; }
    }
    return out;
  }

  // ----- MessagePack, as msgpack-python packs dicts, lists, str, int, bool, None ----------
  function packInto(out, value) {
    const u8 = (b) => out.push(b & 0xff);
    const be = (n, bytes) => { for (let i = bytes - 1; i >= 0; i--) u8(Number((BigInt(n) >> BigInt(8 * i)) & 0xffn)); };
    if (value === null || value === undefined) { u8(0xc0); return; }
    if (value === true) { u8(0xc3); return; }
    if (value === false) { u8(0xc2); return; }
    if (typeof value === "number" || typeof value === "bigint") {
      const n = BigInt(value);
      if (n >= 0n) {
        if (n < 128n) u8(Number(n));
        else if (n < 256n) { u8(0xcc); be(n, 1); }
        else if (n < 65536n) { u8(0xcd); be(n, 2); }
        else if (n < 4294967296n) { u8(0xce); be(n, 4); }
        else { u8(0xcf); be(n, 8); }
      } else if (n >= -32n) u8(Number(n) & 0xff);
      else if (n >= -128n) { u8(0xd0); be(n & 0xffn, 1); }
      else if (n >= -32768n) { u8(0xd1); be(n & 0xffffn, 2); }
      else if (n >= -2147483648n) { u8(0xd2); be(n & 0xffffffffn, 4); }
      else { u8(0xd3); be(n & MASK, 8); }
      return;
    }
    if (typeof value === "string") {
      const bytes = new TextEncoder().encode(value);
      const n = bytes.length;
      if (n < 32) u8(0xa0 | n);
      else if (n < 256) { u8(0xd9); u8(n); }
      else if (n < 65536) { u8(0xda); be(n, 2); }
      else { u8(0xdb); be(n, 4); }
      for (const b of bytes) u8(b);
      return;
    }
    if (Array.isArray(value)) {
      const n = value.length;
      if (n < 16) u8(0x90 | n); else if (n < 65536) { u8(0xdc); be(n, 2); } else { u8(0xdd); be(n, 4); }
      for (const item of value) packInto(out, item);
      return;
    }
    const keys = Object.keys(value);
    const n = keys.length;
    if (n < 16) u8(0x80 | n); else if (n < 65536) { u8(0xde); be(n, 2); } else { u8(0xdf); be(n, 4); }
    for (const key of keys) { packInto(out, key); packInto(out, value[key]); }
  }

  function msgpack(value) { const out = []; packInto(out, value); return Uint8Array.from(out); }

  // ----- the L1 action digest -------------------------------------------------------------
  function hexToBytes(hex) {
    const h = hex.startsWith("0x") ? hex.slice(2) : hex;
    const out = new Uint8Array(h.length / 2);
    for (let i = 0; i < out.length; i++) out[i] = parseInt(h.slice(2 * i, 2 * i + 2), 16);
    return out;
  }
  function bytesToHex(b) { return "0x" + Array.from(b, (x) => x.toString(16).padStart(2, "0")).join(""); }
  function concat(...parts) {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let off = 0;
    for (const p of parts) { out.set(p, off); off += p.length; }
    return out;
  }
  function u64(n) { const out = new Uint8Array(8); let v = BigInt(n); for (let i = 7; i >= 0; i--) { out[i] = Number(v & 0xffn); v >>= 8n; } return out; }
  function word(n) { const out = new Uint8Array(32); let v = BigInt(n); for (let i = 31; i >= 0; i--) { out[i] = Number(v & 0xffn); v >>= 8n; } return out; }
  const utf8 = (s) => new TextEncoder().encode(s);

  function connectionId(action, vault, nonce, expiresAfter) {
    const parts = [msgpack(action), u64(nonce)];
    parts.push(vault ? concat(Uint8Array.of(1), hexToBytes(vault)) : Uint8Array.of(0));
    if (expiresAfter !== null && expiresAfter !== undefined) parts.push(Uint8Array.of(0), u64(expiresAfter));
    return keccak256(concat(...parts));
  }

  const DOMAIN_TYPE = keccak256(utf8("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"));
  const L1_DOMAIN = keccak256(concat(DOMAIN_TYPE, keccak256(utf8("Exchange")), keccak256(utf8("1")), word(1337), new Uint8Array(32)));
  const AGENT_TYPE = keccak256(utf8("Agent(string source,bytes32 connectionId)"));

  function l1Digest(action, vault, nonce, expiresAfter, isMainnet) {
    const struct = keccak256(concat(AGENT_TYPE, keccak256(utf8(isMainnet ? "a" : "b")), connectionId(action, vault, nonce, expiresAfter)));
    return keccak256(concat(Uint8Array.of(0x19, 0x01), L1_DOMAIN, struct));
  }

  // ----- secp256k1 ---------------------------------------------------------------------------
  const P = 0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2fn;
  const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
  const G = [0x79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798n,
             0x483ada7726a3c4655da4fbfc0e1108a8fd17b448a68554199c47d08ffb10d4b8n];
  const mod = (a, m) => ((a % m) + m) % m;
  function inv(a, m) {
    let [r0, r1, s0, s1] = [mod(a, m), m, 1n, 0n];
    while (r1) { const q = r0 / r1; [r0, r1] = [r1, r0 - q * r1]; [s0, s1] = [s1, s0 - q * s1]; }
    return mod(s0, m);
  }
  function add(p, q) {
    if (p === null) return q;
    if (q === null) return p;
    if (p[0] === q[0] && mod(p[1] + q[1], P) === 0n) return null;
    const l = p[0] === q[0] && p[1] === q[1]
      ? mod(3n * p[0] * p[0] * inv(2n * p[1], P), P)
      : mod((q[1] - p[1]) * inv(q[0] - p[0], P), P);
    const x = mod(l * l - p[0] - q[0], P);
    return [x, mod(l * (p[0] - x) - p[1], P)];
  }
  function mul(k, p) {
    let r = null;
    for (let b = p; k > 0n; k >>= 1n, b = add(b, b)) if (k & 1n) r = add(r, b);
    return r;
  }
  function bytesToBig(b) { let v = 0n; for (const x of b) v = (v << 8n) | BigInt(x); return v; }
  function randomScalar() {
    const bytes = new Uint8Array(32);
    for (;;) {
      root.crypto.getRandomValues(bytes);
      const k = bytesToBig(bytes);
      if (k > 0n && k < N) return k;
    }
  }

  function addressOf(privateKeyHex) {
    const pub = mul(bytesToBig(hexToBytes(privateKeyHex)), G);
    return bytesToHex(keccak256(concat(word(pub[0]), word(pub[1]))).slice(12));
  }

  function signDigest(digest, privateKeyHex) {
    const d = bytesToBig(hexToBytes(privateKeyHex));
    const z = bytesToBig(digest);
    for (;;) {
      const k = randomScalar();
      const R = mul(k, G);
      const r = mod(R[0], N);
      if (r === 0n) continue;
      let s = mod(inv(k, N) * (z + r * d), N);
      if (s === 0n) continue;
      let recid = Number(R[1] & 1n);
      if (s > N / 2n) { s = N - s; recid ^= 1; }  // low s, as Ethereum requires
      return { r: "0x" + r.toString(16).padStart(64, "0"), s: "0x" + s.toString(16).padStart(64, "0"), v: 27 + recid };
    }
  }

  function signL1Action(privateKeyHex, action, nonce, isMainnet = false, vault = null, expiresAfter = null) {
    return signDigest(l1Digest(action, vault, nonce, expiresAfter, isMainnet), privateKeyHex);
  }

  // The /exchange body for an L1 action, exactly as hyperliquid-python-sdk posts it.
  function exchangeBody(privateKeyHex, action, nonce, isMainnet = false) {
    return { action, nonce, signature: signL1Action(privateKeyHex, action, nonce, isMainnet),
             vaultAddress: null, expiresAfter: null };
  }

  // ----- user-signed actions (withdraw3, usdSend): EIP-712 typed data, as the SDK signs ----
  // Domain HyperliquidSignTransaction / 1 / signatureChainId 0x66eee / 0x0, primary type
  // "HyperliquidTransaction:<Name>", the action's fields in the SDK's order.
  const USER_TYPES = {
    withdraw3: ["HyperliquidTransaction:Withdraw",
                [["hyperliquidChain", "string"], ["destination", "string"], ["amount", "string"],
                 ["time", "uint64"]]],
    usdSend: ["HyperliquidTransaction:UsdSend",
              [["hyperliquidChain", "string"], ["destination", "string"], ["amount", "string"],
               ["time", "uint64"]]],
  };
  const SIGNATURE_CHAIN_ID = "0x66eee";

  function encodeField(type, value) {
    if (type === "string") return keccak256(utf8(value));
    if (type === "bool") return word(value ? 1 : 0);
    if (type === "address") return word(BigInt(value));
    return word(BigInt(value));  // uint64, uint256
  }

  function userSignedDigest(action) {
    const [primary, fields] = USER_TYPES[action.type];
    const typeString = `${primary}(${fields.map(([n, t]) => `${t} ${n}`).join(",")})`;
    const struct = keccak256(concat(keccak256(utf8(typeString)),
                                    ...fields.map(([n, t]) => encodeField(t, action[n]))));
    const domain = keccak256(concat(DOMAIN_TYPE, keccak256(utf8("HyperliquidSignTransaction")),
                                    keccak256(utf8("1")), word(BigInt(action.signatureChainId)),
                                    new Uint8Array(32)));
    return keccak256(concat(Uint8Array.of(0x19, 0x01), domain, struct));
  }

  // The /exchange body of a user-signed action: {type, destination, amount, time} completed
  // with signatureChainId and hyperliquidChain, signed over its typed data; the nonce is `time`.
  function userSignedBody(privateKeyHex, action, isMainnet = false) {
    const full = { ...action, signatureChainId: SIGNATURE_CHAIN_ID,
                   hyperliquidChain: isMainnet ? "Mainnet" : "Testnet" };
    return { action: full, nonce: full.time,
             signature: signDigest(userSignedDigest(full), privateKeyHex),
             vaultAddress: null, expiresAfter: null };
  }

  // ----- order actions --------------------------------------------------------------------
  // A decimal string as the SDK's float_to_wire writes it: no trailing zeros, no "-0".
  function wireDecimal(text) {
    let s = String(text).trim();
    if (!/^\d+(\.\d+)?$|^\d*\.\d+$/.test(s)) throw new Error(`not a decimal number: ${text}`);
    if (s.startsWith(".")) s = "0" + s;
    if ((s.split(".")[1] || "").replace(/0+$/, "").length > 8) throw new Error(`more than 8 decimals: ${text}`);
    if (s.includes(".")) s = s.replace(/0+$/, "").replace(/\.$/, "");
    s = s.replace(/^0+(?=\d)/, "");
    return s;
  }

  // Hyperliquid's price rule: an integer always passes; otherwise at most 6 - szDecimals
  // decimals and at most 5 significant figures (the engine's price_to_pips).
  function priceIsValid(text, szDecimals) {
    let s;
    try { s = wireDecimal(text); } catch { return false; }
    if (!s.includes(".") || Number(s) <= 0) return Number(s) > 0;
    const [whole, frac] = s.split(".");
    const digits = (whole + frac).replace(/^0+/, "");
    return frac.length <= 6 - szDecimals && digits.length <= 5;
  }

  // One order wire {a, b, p, s, r, t} (c when a client order id is given).
  function orderWire(asset, isBuy, px, sz, reduceOnly, type, cloid) {
    const wire = { a: asset, b: isBuy, p: wireDecimal(px), s: wireDecimal(sz), r: reduceOnly,
                   t: type };
    if (cloid) wire.c = cloid;
    return wire;
  }

  function limitType(tif) { return { limit: { tif } }; }

  function triggerType(triggerPx, isMarket, tpsl) {
    return { trigger: { isMarket, triggerPx: wireDecimal(triggerPx), tpsl } };
  }

  // A Hyperliquid limit order action (prices and sizes as the decimal strings typed).
  function orderAction(asset, isBuy, px, sz, tif, reduceOnly) {
    return { type: "order", orders: [orderWire(asset, isBuy, px, sz, reduceOnly, limitType(tif))],
             grouping: "na" };
  }

  // The SDK's market-order price: mid x (1 ± slippage), 5 significant figures, then at most
  // 6 - szDecimals decimals (perps), as a wire decimal.
  function slippagePrice(mid, isBuy, slippage, szDecimals) {
    const raw = Number(mid) * (isBuy ? 1 + slippage : 1 - slippage);
    const sig = Number(raw.toPrecision(5));
    return wireDecimal(sig.toFixed(Math.max(0, 6 - szDecimals)));
  }

  const api = { keccak256, msgpack, connectionId, l1Digest, signDigest, signL1Action, addressOf,
                bytesToHex, hexToBytes, exchangeBody, orderAction, orderWire, limitType,
                triggerType, wireDecimal, slippagePrice, priceIsValid, userSignedDigest,
                userSignedBody };
  root.L2Sign = api;
  if (typeof module !== "undefined") module.exports = api;
})(typeof globalThis !== "undefined" ? globalThis : window);
