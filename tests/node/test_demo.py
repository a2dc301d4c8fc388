"""The devnet demo actors: oracle rounds keep the markets fresh and the second maker trades
against the first, also after devAdvanceTime (nonces follow the wall clock, not block time), and
a demo trade never takes a user's resting order."""

from __future__ import annotations

from l2perp.crypto.signatures import sign_l1_action
from l2perp.node.demo import DemoActors
from l2perp.node.devnet import START_PRICES_PIPS, dev_keys, devnet_genesis
from l2perp.node.service import Node, wall_ms
from l2perp.units import format_price, format_size
from l2perp.wire.requests import decode_request

DAY_MS = 86_400_000
KEYS = dev_keys()


def demo_node(tmp_path) -> Node:
    node = Node(tmp_path, devnet_genesis(wall_ms() - 1_000), block_ms=50, rollup=None)
    prices = {m.asset: START_PRICES_PIPS[m.name] for m in node.state.markets}
    node.seed_devnet([k.address for k in KEYS if k.role in ("trader", "maker")], prices,
                     KEYS[0].private_key, pin=False)
    node.demo = DemoActors(node, [(k.address, k.private_key) for k in KEYS if k.role == "oracle"],
                           [(k.address, k.private_key) for k in KEYS if k.role == "maker"],
                           prices)
    return node


def send(node: Node, key, action: dict) -> None:
    nonce = wall_ms()
    signature = sign_l1_action(bytes.fromhex(key.private_key[2:]), action, None, nonce, None,
                               False)
    node.sequencer.mempool.push(decode_request({"action": action, "nonce": nonce,
                                                "signature": signature}))


def rounds(node: Node, n: int) -> list:
    """n demo seconds, each a tick then a block (block time as the node computes it)."""
    receipts = []
    for _ in range(n):
        now = wall_ms() + node.state.dev_time_offset_ms
        node.demo.tick(now)
        out, _ = node.sequencer.produce_block(max(now, node.state.time_ms), ())
        receipts.extend(out.receipts)
    return receipts


def test_the_demo_keeps_prices_fresh_and_trades_after_a_day_is_advanced(tmp_path) -> None:
    node = demo_node(tmp_path)
    rounds(node, 3)
    assert not any(m.stale for m in node.state.markets)
    send(node, KEYS[0], {"type": "devAdvanceTime", "ms": DAY_MS})
    node.sequencer.produce_block(node.state.time_ms + 1, ())
    node.sequencer.produce_block(wall_ms() + node.state.dev_time_offset_ms, ())
    assert all(m.stale for m in node.state.markets)  # a day without prices
    receipts = rounds(node, 6)
    assert all(r.ok for r in receipts), [r.error for r in receipts if not r.ok][:3]
    assert not any(m.stale or m.halted_reduce_only for m in node.state.markets)
    assert sum(m.open_interest_lots > 0 for m in node.state.markets) >= 2  # demo trades ran


def test_a_demo_trade_never_takes_a_users_order(tmp_path) -> None:
    node = demo_node(tmp_path)
    rounds(node, 2)
    trader = next(k for k in KEYS if k.role == "trader")
    orders = []
    for market in node.state.markets:  # a user's bid and ask ($20) at each best price
        book = node.state.books[market.asset]
        for is_buy, price in ((True, book.best_bid()), (False, book.best_ask())):
            orders.append({"a": market.asset, "b": is_buy,
                           "p": format_price(price, market.sz_decimals),
                           "s": format_size(20_000_000 // price + 1, market.sz_decimals),
                           "r": False,
                           "t": {"limit": {"tif": "Alo"}}})
    send(node, trader, {"type": "order", "orders": orders, "grouping": "na"})
    node.sequencer.produce_block(node.state.time_ms + 1, ())
    mine = node.state.accounts[trader.address].orders
    resting = {oid: o.size_lots for oid, o in mine.items()}
    assert len(resting) == len(orders)
    trades_before = node.state.next_tid
    rounds(node, 8)  # the makers requote around the oracle; the demo taker trades each second
    assert {oid: o.size_lots for oid, o in mine.items()} == resting
    assert not any(p.size_lots for p in node.state.accounts[trader.address].positions.values())
    assert node.state.next_tid > trades_before  # the demo kept trading, with its makers only


def test_the_demo_book_sits_off_the_oracle_so_funding_has_a_premium(tmp_path) -> None:
    """The makers centre their quotes on the oracle x (1 + a wandering basis): book mids are
    off the oracle by more than a basis point, so the premium (and then funding) moves."""
    node = demo_node(tmp_path)
    rounds(node, 3)
    offsets = []
    for market in node.state.markets:
        book = node.state.books[market.asset]
        mid2 = book.best_bid() + book.best_ask()
        offsets.append((mid2 - 2 * market.oracle_pips) * 10_000 // (2 * market.oracle_pips))
    assert any(o != 0 for o in offsets), offsets
