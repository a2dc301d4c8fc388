"""Full engine throughput: the same op streams as benchmarks/book.py, as signed-and-parsed
transactions through `apply_block` (nonces, validation, margin, fees, receipts, events).

Each op is one transaction: GTC / IOC / market -> `order`, cancel -> `cancelByCloid`, move ->
`batchModify` by cloid (the new order keeps the cloid). Blocks of BLOCK_TXS transactions, 200 ms
apart, 1,001 funded accounts. After the timed run the blocks are replayed from genesis and the
digest must repeat. The peer is the same Python order book as in book.py, on the same stream.
Risk is on in every workload: oracle, mark and premium update every block, liquidations run.
The liquidation_burst workload adds 3,000 leveraged longs (10x-25x) and pins the oracle 0.5%
lower every 10 blocks over n_ops / 20 exchange-core transactions: its ops_per_s counts the
transactions plus the venue's liquidation messages (liquidation fills, backstop takeovers).
Usage: python benchmarks/engine.py [n_ops]   (default 200,000; BENCH_OPS, BENCH_PEER, BENCH_BUILDS)
Run compiled, the script also measures the interpreted build in a child process and prints
one line per workload with both (common.run_builds); the state digests must agree.
"""

from __future__ import annotations

import gc
import sys
import time

import common
from workloads import ShadowBook

from l2perp.engine.book import TIF_GTC, TIF_IOC
from l2perp.engine.encoding import state_digest
from l2perp.engine.params import EngineConfig, Genesis, MarginTier, MarketSpec
from l2perp.engine.genesis import genesis_state
from l2perp.engine.state import State
from l2perp.engine.stf import apply_block
from l2perp.engine.tx import (
    BatchModify, Block, BridgeCredit, Cancel, CancelByCloid, FillEvent, LedgerEvent, OrderSpec,
    PlaceOrders, SetPrice, Tx, UpdateLeverage,
)
from l2perp.units import ONE_USDC, dec_from_int

ADMIN = "0x" + "ad" * 20
T0 = 1_700_000_000_000
BLOCK_TXS = 50
BLOCK_MS = 200
LOT_SCALE = 1_000  # workload size unit -> lots (sz_decimals 6: a lot is 1e-6 of the asset)
MARK = 100_000  # workload ticks are whole dollars: price pips with sz_decimals 6
MARKET = MarketSpec("BENCH", 6, (MarginTier(0, 50),))


def address(uid: int) -> str:
    return "0x" + f"{uid + 1:040x}"


def cloid(oid: int) -> str:
    return "0x" + f"{oid:032x}"


class TxBuilder:
    """Turns workload ops into engine transactions (sizes of moves from a shadow book)."""

    def __init__(self) -> None:
        self.shadow = ShadowBook()
        self.nonce = T0

    def spec(self, oid: int, is_buy: bool, price: int, size: int, tif: int) -> OrderSpec:
        return OrderSpec(0, is_buy, dec_from_int(price, 0), dec_from_int(size * LOT_SCALE, 6),
                         False, tif, cloid(oid))

    def tx(self, op: tuple) -> Tx | None:
        kind = op[0]
        uid, oid = op[1], op[2]
        self.nonce += 1
        if kind == "gtc" or kind == "ioc":
            action = PlaceOrders((self.spec(oid, op[3], op[4], op[5],
                                            TIF_GTC if kind == "gtc" else TIF_IOC),))
        elif kind == "market":
            bound = MARK * 3 // 2 if op[3] else MARK // 2
            action = PlaceOrders((self.spec(oid, op[3], bound, op[4], TIF_IOC),))
        elif kind == "cancel":
            action = CancelByCloid(((0, cloid(oid)),))
        else:  # move: same remaining size at the new price
            rec = self.shadow.orders.get(oid)
            if rec is None:
                self.shadow.apply(op)
                action = CancelByCloid(((0, cloid(oid)),))  # the order is gone: a miss
                return Tx(address(uid), self.nonce, action)
            action = BatchModify(((cloid(oid), self.spec(oid, rec[1], op[3], rec[3], TIF_GTC)),))
        self.shadow.apply(op)
        return Tx(address(uid), self.nonce, action)


def genesis() -> tuple[State, list[Block]]:
    state = genesis_state(Genesis(config=EngineConfig(admin=ADMIN), markets=(MARKET,),
                                  time_ms=T0))
    txs = [Tx(None, 0, BridgeCredit(address(uid), 100_000_000 * ONE_USDC)) for uid in range(1001)]
    txs.append(Tx(ADMIN, T0 + 1, SetPrice(0, MARK)))
    return state, [Block(1, T0 + BLOCK_MS, tuple(txs))]


def to_blocks(ops: list, builder: TxBuilder, first_height: int) -> list[Block]:
    blocks: list[Block] = []
    txs = [builder.tx(op) for op in ops]
    for i in range(0, len(txs), BLOCK_TXS):
        height = first_height + len(blocks)
        blocks.append(Block(height, T0 + BLOCK_MS * height, tuple(txs[i:i + BLOCK_TXS])))
    return blocks


def run(state: State, blocks: list[Block]) -> None:
    for block in blocks:
        apply_block(state, block)


LEVERAGED = 3_000  # accounts that the burst liquidates
CRASH_EVERY = 10  # blocks between oracle steps in the burst
CRASH_STEP = 500  # pips ($500 of $100,000: -0.5%) per step


def burst_setup(builder: TxBuilder, first_height: int) -> list[Block]:
    """Leveraged longs (10x to 25x, $4,000 to $10,000 of notional on $400) bought from one big
    seller; they fall under maintenance between -3.6% and -9.5% of the price."""
    seller = address(5_000)
    txs = [Tx(None, 0, BridgeCredit(seller, 1_000_000_000 * ONE_USDC))]
    for i in range(LEVERAGED):
        txs.append(Tx(None, 0, BridgeCredit(address(10_000 + i), 400 * ONE_USDC)))
    builder.nonce += 1
    ask = OrderSpec(0, False, dec_from_int(MARK, 0), dec_from_int(10**9, 6), False, TIF_GTC)
    txs.append(Tx(seller, builder.nonce, PlaceOrders((ask,))))
    for i in range(LEVERAGED):
        leverage = 10 + i % 16
        lots = 40_000 + (i * 7_919) % 60_000  # 0.04 to 0.1 of the asset: $4,000 to $10,000
        user = address(10_000 + i)
        builder.nonce += 1
        txs.append(Tx(user, builder.nonce, UpdateLeverage(0, True, leverage)))
        builder.nonce += 1
        buy = OrderSpec(0, True, dec_from_int(MARK, 0), dec_from_int(lots, 6), False, TIF_IOC)
        txs.append(Tx(user, builder.nonce, PlaceOrders((buy,))))
    builder.nonce += 1
    cancel_rest = Tx(seller, builder.nonce, Cancel(((0, 0),)))  # harmless: keeps nonces moving
    txs.append(cancel_rest)
    return [Block(first_height + i, T0 + BLOCK_MS * (first_height + i), tuple(txs[j:j + 500]))
            for i, j in enumerate(range(0, len(txs), 500))]


def with_crash(blocks: list[Block], builder: TxBuilder) -> list[Block]:
    """The same blocks with the oracle pinned CRASH_STEP lower every CRASH_EVERY blocks."""
    out = []
    price = MARK
    for i, block in enumerate(blocks):
        txs = block.txs
        if i % CRASH_EVERY == 0 and i:
            price -= CRASH_STEP
            builder.nonce += 1
            txs = (Tx(ADMIN, builder.nonce, SetPrice(0, price)),) + txs
        out.append(Block(block.height, block.time_ms, txs))
    return out


def liquidation_messages(state: State, blocks: list[Block]) -> int:
    """Apply blocks; count the venue's liquidation messages (book liquidation orders' fills,
    backstop takeovers, ADL trades)."""
    count = 0
    for block in blocks:
        for event in apply_block(state, block).events:
            kind = type(event)
            if kind is FillEvent and event.taker_oid == 0:
                count += 1
            elif kind is LedgerEvent and event.kind == "backstopLiquidation":
                count += 1
    return count


def main() -> None:
    n_ops = int(sys.argv[1]) if len(sys.argv) > 1 else common.n_ops_default()
    peer_cls = common.pick_peer()
    runs = list(common.WORKLOADS.items()) + [("liquidation_burst", common.WORKLOADS[
        "exchange_core"])]
    for name, make in runs:
        burst = name == "liquidation_burst"
        warm, ops = make(n_ops if not burst else n_ops // 20, seed=1)
        builder = TxBuilder()
        state, setup = genesis()
        warm_blocks = to_blocks(warm, builder, 2)
        if burst:
            warm_blocks += burst_setup(builder, 2 + len(warm_blocks))
        blocks = to_blocks(ops, builder, 2 + len(warm_blocks))
        if burst:
            blocks = with_crash(blocks, builder)
        run(state, setup + warm_blocks)
        gc.collect()
        gc.disable()
        t0 = time.perf_counter_ns()
        liquidations = liquidation_messages(state, blocks)
        elapsed = time.perf_counter_ns() - t0
        gc.enable()
        digest = state_digest(state).hex()
        replica, _ = genesis()
        run(replica, setup + warm_blocks + blocks)
        assert state_digest(replica).hex() == digest, "engine replay gave another digest"
        peer_ops = common.time_peer(peer_cls, warm, ops)
        messages = len(ops) + liquidations
        common.emit("engine", name, messages * 1e9 / elapsed, peer_cls, peer_ops, digest)
        fills = state.next_tid - 1
        print(f"# {name}: {len(ops)} txs in {len(blocks)} blocks + {liquidations} liquidation "
              f"messages ({100 * liquidations // max(1, messages)}% of messages), "
              f"{fills} fills in total", file=sys.stderr)


if __name__ == "__main__":
    common.run_builds(main)
