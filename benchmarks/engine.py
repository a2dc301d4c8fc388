"""Full engine throughput: the same op streams as benchmarks/book.py, as signed-and-parsed
transactions through `apply_block` (nonces, validation, margin, fees, receipts, events).

Each op is one transaction: GTC / IOC / market -> `order`, cancel -> `cancelByCloid`, move ->
`batchModify` by cloid (the new order keeps the cloid). Blocks of BLOCK_TXS transactions, 200 ms
apart, 1,001 funded accounts. After the timed run the blocks are replayed from genesis and the
digest must repeat. The peer is the same Python order book as in book.py, on the same stream.
Usage: python benchmarks/engine.py [n_ops]   (default 200,000; BENCH_OPS, BENCH_PEER)
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
from l2perp.engine.state import State, genesis_state
from l2perp.engine.stf import apply_block
from l2perp.engine.tx import (
    BatchModify, Block, BridgeCredit, CancelByCloid, OrderSpec, PlaceOrders, SetPrice, Tx,
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


def main() -> None:
    n_ops = int(sys.argv[1]) if len(sys.argv) > 1 else common.n_ops_default()
    peer_cls = common.pick_peer()
    for name, make in common.WORKLOADS.items():
        warm, ops = make(n_ops, seed=1)
        builder = TxBuilder()
        state, setup = genesis()
        warm_blocks = to_blocks(warm, builder, 2)
        blocks = to_blocks(ops, builder, 2 + len(warm_blocks))
        run(state, setup + warm_blocks)
        gc.collect()
        gc.disable()
        t0 = time.perf_counter_ns()
        run(state, blocks)
        elapsed = time.perf_counter_ns() - t0
        gc.enable()
        digest = state_digest(state).hex()
        replica, _ = genesis()
        run(replica, setup + warm_blocks + blocks)
        assert state_digest(replica).hex() == digest, "engine replay gave another digest"
        peer_ops = common.time_peer(peer_cls, warm, ops)
        common.emit("engine", name, len(ops) * 1e9 / elapsed, peer_cls, peer_ops, digest)
        fills = state.next_tid - 1
        print(f"# {name}: {len(ops)} txs in {len(blocks)} blocks, {fills} fills in total, "
              f"{sum(len(b.orders) for a in state.accounts.values() for b in [a])} open orders",
              file=sys.stderr)


if __name__ == "__main__":
    main()
