"""Every value the engine can hold is encodable: transactions parsed from wire actions at the
extremes of every API range, and states whose integers sit at (and beyond) the int64 edges,
encode, decode back to themselves and hash; the log's row and the snapshot round-trip."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from l2perp.codec import canonical, uncanonical
from l2perp.engine.encoding import state_digest
from l2perp.engine.tx import Block, Tx
from l2perp.engine.txcodec import decode_txs, encode_txs, pack_tx
from l2perp.node.files import decode_snapshot, encode_snapshot
from l2perp.units import MAX_AMOUNT_MUSDC, MAX_TEXT_CHARS, MAX_WIRE_INT, MAX_WIRE_VALUE
from l2perp.wire.actions import WireError, parse_action
from tests.support.venue import ADMIN, Venue, addr, limit

EDGE_INTS = [0, 1, MAX_WIRE_INT - 1, MAX_WIRE_INT]
ints = st.one_of(st.sampled_from(EDGE_INTS), st.integers(0, MAX_WIRE_INT))
amounts = st.one_of(st.sampled_from([0, 1, MAX_AMOUNT_MUSDC]), st.integers(0, MAX_AMOUNT_MUSDC))
decimals = st.one_of(
    st.sampled_from([str(MAX_WIRE_VALUE), "0.000000000000000001", "999999999999.999999",
                     "-" + str(MAX_WIRE_VALUE), "0", "1"]),
    st.builds(lambda whole, frac: f"{whole}.{frac}", st.integers(0, MAX_WIRE_VALUE - 1),
              st.integers(0, 999_999)))


def usd(micro: int) -> str:
    return f"{micro // 10**6}.{micro % 10**6:06d}"


def wire_actions():
    order = st.builds(lambda a, b, p, s, r: {"a": a, "b": b, "p": p, "s": s, "r": r,
                                             "t": {"limit": {"tif": "Gtc"}}},
                      ints, st.booleans(), decimals, decimals, st.booleans())
    address = st.just("0x" + "ab" * 20)
    return st.one_of(
        st.builds(lambda o: {"type": "order", "orders": o, "grouping": "na"},
                  st.lists(order, min_size=1, max_size=3)),
        st.builds(lambda a, o: {"type": "cancel", "cancels": [{"a": a, "o": o}]}, ints, ints),
        st.builds(lambda a, lev: {"type": "updateLeverage", "asset": a, "isCross": True,
                                  "leverage": lev}, ints, ints),
        st.builds(lambda a, n: {"type": "updateIsolatedMargin", "asset": a, "isBuy": False,
                                "ntli": n}, ints,
                  st.integers(-MAX_AMOUNT_MUSDC, MAX_AMOUNT_MUSDC)),
        st.builds(lambda t: {"type": "scheduleCancel", "time": t}, ints),
        st.builds(lambda d, a, t: {"type": "usdSend", "destination": d, "amount": usd(a),
                                   "time": t}, address, amounts, ints),
        st.builds(lambda d, a, t: {"type": "withdraw3", "destination": d, "amount": usd(a),
                                   "time": t}, address, amounts, ints),
        st.builds(lambda name, n: {"type": "approveAgent", "agentAddress": "0x" + "cd" * 20,
                                   "agentName": name, "nonce": n},
                  st.text(max_size=MAX_TEXT_CHARS), ints),
        st.builds(lambda u, a: {"type": "devFaucet", "user": u, "usd": usd(a)}, address,
                  amounts),
        st.builds(lambda ms: {"type": "devAdvanceTime", "ms": ms}, ints),
        st.builds(lambda a, b, sz, r, m, t: {"type": "twapOrder", "twap": {
            "a": a, "b": b, "s": sz, "r": r, "m": m, "t": t}},
            ints, st.booleans(), decimals, st.booleans(), ints, st.booleans()),
        st.builds(lambda a, t: {"type": "twapCancel", "a": a, "t": t}, ints, ints),
    )


@settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
@given(action=wire_actions(), nonce=ints, signer=st.sampled_from([None, "0x" + "11" * 20]))
def test_every_transaction_the_api_can_parse_encodes_and_round_trips(action, nonce,
                                                                     signer) -> None:
    try:
        parsed = parse_action(action)
    except WireError:
        return  # refused at the edge: it never reaches a block
    tx = Tx(signer, nonce, parsed, None, nonce, b"\x00" * 200)
    assert decode_txs(encode_txs((tx,))) == (tx,)
    assert len(pack_tx(tx)) > 0


@given(value=st.integers(-10**60, 10**60))
def test_any_integer_encodes_canonically_and_decodes_to_itself(value) -> None:
    data = canonical([value, [value]])
    assert uncanonical(data) == [value, [value]]
    if -2**63 <= value < 2**64:  # msgpack's own integers: the bytes every golden root uses
        import msgpack

        assert data == msgpack.packb([value, [value]], use_bin_type=True)


def busy_venue() -> Venue:
    venue = Venue()
    for user in (1, 2):
        venue.deposit(addr(user), 1_000_000)
    venue.set_price(0, 950_000)
    venue.order(addr(1), limit(0, True, "94000", "0.5"))
    venue.order(addr(2), limit(0, False, "94000", "0.2"))
    venue.order(addr(2), limit(0, False, "99000", "0.1"))
    twap = {"a": 0, "b": True, "s": "0.5", "r": False, "m": 30, "t": True}
    assert venue.one(addr(1), {"type": "twapOrder", "twap": twap}).ok  # snapshots carry it
    return venue


EXTREMES = [-(2**63), 2**63 - 1, 2**64 - 1, 2**64, -(2**64) - 1, 10**40, -(10**40)]


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(cash=st.sampled_from(EXTREMES), size=st.sampled_from(EXTREMES),
       pool=st.sampled_from(EXTREMES), limit_pips=st.sampled_from(EXTREMES))
def test_a_state_with_integers_at_and_beyond_int64_still_hashes_and_snapshots(
        cash, size, pool, limit_pips) -> None:
    state = busy_venue().state
    account = state.accounts[addr(1)]
    account.cash_musdc = cash
    next(iter(account.positions.values())).size_lots = size
    order = next(iter(state.accounts[addr(2)].orders.values()))
    order.limit_pips = limit_pips
    state.fee_pool_musdc = pool
    digest = state_digest(state)
    restored = decode_snapshot(encode_snapshot(state, digest), state.config, digest, "test")
    assert state_digest(restored) == digest
    assert restored.accounts[addr(1)].cash_musdc == cash


def test_a_block_of_extreme_transactions_survives_the_log_round_trip() -> None:
    txs = tuple(Tx(ADMIN, MAX_WIRE_INT, parse_action(a)) for a in (
        {"type": "devAdvanceTime", "ms": MAX_WIRE_INT},
        {"type": "scheduleCancel", "time": MAX_WIRE_INT},
        {"type": "usdSend", "destination": "0x" + "ab" * 20, "amount": usd(MAX_AMOUNT_MUSDC),
         "time": MAX_WIRE_INT}))
    block = Block(1, MAX_WIRE_INT, txs)
    assert decode_txs(encode_txs(block.txs)) == txs
