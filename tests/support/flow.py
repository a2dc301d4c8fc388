"""A seeded, recorded order flow: blocks of Hyperliquid-shaped actions, written to and read from
a msgpack file, so a replay in another process applies byte-identical input.

Usage: python -m tests.support.flow FILE   (prints the hex state digest after replaying FILE)
"""

from __future__ import annotations

import random
import sys

import msgpack

from l2perp.wire.actions import parse_action
from l2perp.engine.encoding import state_digest
from l2perp.engine.params import EngineConfig, Genesis
from l2perp.engine.genesis import genesis_state
from l2perp.engine.stf import apply_block
from l2perp.engine.tx import Block, BridgeCredit, SetPrice, Tx
from l2perp.units import ONE_USDC, format_price, format_size
from tests.support.venue import ADMIN, T0, addr

USERS = [addr(i) for i in range(1, 41)]
MARKS = {0: 500_000, 1: 300_000, 2: 1_500_000, 3: 200_000}  # BTC, ETH, SOL, OP in pips
SZ_DECIMALS = {0: 5, 1: 4, 2: 2, 3: 1}
TWAP_EVERY = 25  # blocks between TWAP orders (5 or 6 minutes: 1,500 or 1,800 blocks of slices)


def _valid(pips: int) -> int:
    digits = len(str(pips))
    return pips - pips % 10 ** (digits - 5) if digits > 5 else pips


def record(n_blocks: int, seed: int, crash_every: int = 0) -> list[list]:
    """A list of blocks, each [height, time_ms, [[signer, nonce, action], ...]]; with
    `crash_every`, a market's price also drops or jumps 25% every that many blocks."""
    rng = random.Random(seed)
    marks = dict(MARKS)
    nonce = T0
    blocks: list[list] = []
    first = [[None, 0, {"type": "_credit", "user": u, "usd": 100_000}] for u in USERS]
    first += [[ADMIN, T0 + i + 1, {"type": "_price", "asset": a, "pips": p}]
              for i, (a, p) in enumerate(sorted(marks.items()))]
    nonce += 10
    blocks.append([1, T0 + 200, first])
    open_oids: list[tuple[str, int, int]] = []
    twaps = random.Random(seed * 7919 + 1)  # its own draws: the rest of the flow is unchanged
    placed: list[tuple[str, int]] = []  # (user, asset) of each TWAP order, by guessed id
    for height in range(2, n_blocks + 1):
        txs = []
        if height % TWAP_EVERY == 0:
            nonce += 1
            user, asset = twaps.choice(USERS), twaps.randrange(4)
            placed.append((user, asset))
            lots = max(1, twaps.randint(100, 6_000) * ONE_USDC // marks[asset])
            txs.append([user, nonce, {"type": "twapOrder", "twap": {
                "a": asset, "b": twaps.random() < 0.5, "s": format_size(lots, SZ_DECIMALS[asset]),
                "r": False, "m": twaps.randint(5, 6), "t": twaps.random() < 0.5}}])
        if height % TWAP_EVERY == 5 and placed and twaps.random() < 0.3:
            # not reduce-only and worth $100 or more: every TWAP order is accepted, so the
            # ids are known; most cancels are the owner's, of a TWAP still running or not
            nonce += 1
            twap_id = twaps.randint(max(1, len(placed) - 2), len(placed))
            owner, asset = placed[twap_id - 1]
            signer = owner if twaps.random() < 0.7 else twaps.choice(USERS)
            txs.append([signer, nonce, {"type": "twapCancel", "a": asset, "t": twap_id}])
        if crash_every and height % crash_every == 0:
            nonce += 1
            asset = rng.randrange(4)
            marks[asset] = max(1000, marks[asset] * rng.choice([75, 125]) // 100)
            txs.append([ADMIN, nonce, {"type": "_price", "asset": asset, "pips": marks[asset]}])
        for _ in range(rng.randint(0, 8)):
            nonce += 1
            user = rng.choice(USERS)
            asset = rng.randrange(4)
            d = SZ_DECIMALS[asset]
            roll = rng.random()
            if roll < 0.02:
                marks[asset] = max(1000, marks[asset] + marks[asset] * rng.randint(-20, 20) // 1000)
                txs.append([ADMIN, nonce, {"type": "_price", "asset": asset, "pips": marks[asset]}])
                continue
            px = _valid(marks[asset] + marks[asset] * rng.randint(-15, 15) // 1000)
            lots = max(1, rng.randint(20, 4_000) * ONE_USDC // marks[asset])
            if roll < 0.55:
                tif = rng.choice(["Gtc", "Gtc", "Alo", "Ioc"])
                order = {"a": asset, "b": rng.random() < 0.5, "p": format_price(px, d),
                         "s": format_size(lots, d), "r": rng.random() < 0.1,
                         "t": {"limit": {"tif": tif}}}
                txs.append([user, nonce, {"type": "order", "orders": [order], "grouping": "na"}])
            elif roll < 0.8 and open_oids:
                owner, a, oid = open_oids.pop(rng.randrange(len(open_oids)))
                txs.append([owner, nonce, {"type": "cancel", "cancels": [{"a": a, "o": oid}]}])
            elif roll < 0.88 and open_oids:
                owner, a, oid = open_oids[rng.randrange(len(open_oids))]
                order = {"a": a, "b": rng.random() < 0.5,
                         "p": format_price(_valid(marks[a]), SZ_DECIMALS[a]),
                         "s": format_size(max(1, 500 * ONE_USDC // marks[a]), SZ_DECIMALS[a]),
                         "r": False, "t": {"limit": {"tif": "Gtc"}}}
                txs.append([owner, nonce, {"type": "batchModify",
                                           "modifies": [{"oid": oid, "order": order}]}])
            elif roll < 0.92:
                tp = rng.random() < 0.5
                trig = format_price(px, d)
                kind = {"isMarket": rng.random() < 0.5, "triggerPx": trig,
                        "tpsl": "tp" if tp else "sl"}
                order = {"a": asset, "b": rng.random() < 0.5, "p": trig,
                         "s": format_size(lots, d), "r": True, "t": {"trigger": kind}}
                txs.append([user, nonce, {"type": "order", "orders": [order], "grouping": "na"}])
            elif roll < 0.95:
                txs.append([user, nonce, {"type": "updateLeverage", "asset": asset,
                                          "isCross": asset != 3, "leverage": rng.randint(1, 10)}])
            elif roll < 0.98:
                txs.append([user, nonce, {"type": "usdSend", "destination": rng.choice(USERS),
                                          "amount": str(rng.randint(1, 500)), "time": nonce}])
            else:
                txs.append([user, nonce, {"type": "withdraw3", "destination": user,
                                          "amount": str(rng.randint(2, 300)), "time": nonce}])
        blocks.append([height, T0 + 200 * height, txs])
        # Remember plausible oids: the engine assigns them in order, so track a counter guess.
        if txs and rng.random() < 0.5:
            open_oids.append((rng.choice(USERS), rng.randrange(4), rng.randint(1, height * 3)))
    return blocks


def to_tx(raw: list) -> Tx:
    signer, nonce, action = raw
    kind = action["type"]
    if kind == "_credit":
        return Tx(None, 0, BridgeCredit(action["user"], action["usd"] * ONE_USDC))
    if kind == "_price":
        return Tx(signer, nonce, SetPrice(action["asset"], action["pips"]))
    return Tx(signer, nonce, parse_action(action))


def replay(blocks: list[list]) -> tuple[bytes, int]:
    """Apply recorded blocks from genesis; returns (digest, number of fills)."""
    state = genesis_state(Genesis(config=EngineConfig(admin=ADMIN), time_ms=T0))
    for height, time_ms, txs in blocks:
        apply_block(state, Block(height, time_ms, tuple(to_tx(t) for t in txs)))
    return state_digest(state), state.next_tid - 1


def save(blocks: list[list], path: str) -> None:
    with open(path, "wb") as f:
        f.write(msgpack.packb(blocks, use_bin_type=True))


def load(path: str) -> list[list]:
    with open(path, "rb") as f:
        return msgpack.unpackb(f.read(), raw=False, strict_map_key=False)


if __name__ == "__main__":
    digest, fills = replay(load(sys.argv[1]))
    print(digest.hex(), fills)
