"""Book kernel throughput: l2perp's book kernel (`engine.book.Book` behind its order-id API,
`engine.book_index.IndexedBook`) against a peer Python order book.

Workloads (benchmarks/workloads.py): the exchange-core mix (9% GTC, 3% IOC, 6% cancel, 82% move;
~1,000 resting orders over ~750 levels) and a LOBSTER-like mix (50% add, 45% cancel, 5% market).
Both books run the same op stream through the same dispatch loop (`peers.run`), after the same
warm-up; the kernel's state digest hashes every resting order in priority order.
Usage: python benchmarks/book.py [n_ops]   (default 200,000; BENCH_OPS, BENCH_PEER, BENCH_BUILDS)
Run compiled, the script also measures the interpreted build in a child process and prints
one line per workload with both (common.run_builds); the state digests must agree.
"""

from __future__ import annotations

import gc
import sys

import common
from common import peers

from l2perp.codec import canonical, h256
from l2perp.engine.book_index import IndexedBook

def with_user_names(ops: list[tuple]) -> list[tuple]:
    """The same ops with each uid as the address-like string the kernel keys owners by (the
    engine's users are str); done before timing, for both books."""
    names: dict[int, str] = {}
    return [(op[0], names.setdefault(op[1], f"u{op[1]}"), *op[2:]) for op in ops]


def digest(book: IndexedBook) -> str:
    """sha256 over every resting order (oid, side, price, lots, priority) in book order."""
    rows = [[o.oid, o.is_buy, o.limit_pips, o.size_lots, o.seq] for o in book.resting()]
    return h256(canonical(rows)).hex()


def main() -> None:
    n_ops = int(sys.argv[1]) if len(sys.argv) > 1 else common.n_ops_default()
    peer_cls = common.pick_peer()
    for name, make in common.WORKLOADS.items():
        warm, ops = (with_user_names(x) for x in make(n_ops, seed=1))
        kernel = IndexedBook()
        peers.run(kernel, warm)
        gc.collect()
        elapsed = peers.run(kernel, ops, disable_gc=True)
        ours = len(ops) * 1e9 / elapsed
        state = digest(kernel)
        replay = IndexedBook()  # same stream, fresh book: the digest must repeat
        peers.run(replay, warm)
        peers.run(replay, ops)
        assert digest(replay) == state, "book kernel is not deterministic"
        peer_ops = common.time_peer(peer_cls, warm, ops)
        common.emit("book", name, ours, peer_cls, peer_ops, state)


if __name__ == "__main__":
    common.run_builds(main)
